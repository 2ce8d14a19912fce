# Only what tune-wandb calls: pyarrow.fs.copy_files (a checkpoint off the local filesystem).
