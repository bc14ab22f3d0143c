// Typeset every formula with the KaTeX copy shipped in assets/katex/, so no page needs the network.
// Markdown pages: pymdownx.arithmatex (generic mode) wraps each formula in an .arithmatex element,
// delimited by \( \) or \[ \].  Notebook pages: Jupyter markdown cells and LaTeX outputs use $ and $$.
(function () {
  "use strict";
  var page = [
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: true },
  ];
  var notebook = [
    { left: "$$", right: "$$", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: true },
  ];
  function typeset(root) {
    if (typeof renderMathInElement !== "function") return;
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      renderMathInElement(el, { delimiters: page, throwOnError: false });
    });
    root.querySelectorAll(".jupyter-wrapper .jp-RenderedMarkdown, .jupyter-wrapper .jp-RenderedLatex")
      .forEach(function (el) {
        renderMathInElement(el, { delimiters: notebook, throwOnError: false });
      });
    // a notebook's headings, with their $...$, are also listed in the navigation and the table of contents
    if (root.querySelector(".jupyter-wrapper")) {
      root.querySelectorAll(".md-nav__link").forEach(function (el) {
        renderMathInElement(el, { delimiters: notebook, throwOnError: false });
      });
    }
    document.documentElement.setAttribute("data-math", "typeset");
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(function (doc) { typeset(doc.body || document.body); });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  } else {
    typeset(document.body);
  }
})();
