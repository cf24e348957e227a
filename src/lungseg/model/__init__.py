"""The U-Net, self-describing checkpoints and the table of bundled weights."""
