print("preparing the dataset")
