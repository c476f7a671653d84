"""Rules over the merged files of a built image (`image.model.ImageContents`)."""
