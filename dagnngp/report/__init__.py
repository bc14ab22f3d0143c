"""The main job: `dagnngp report`, one self-contained page of the paper's analysis, reproduced and checked."""
