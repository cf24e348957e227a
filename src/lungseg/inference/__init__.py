"""From an X-ray to a mask: preprocess, predict, resize, threshold, post-process, label, measure."""
