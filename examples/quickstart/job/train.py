print("training a very small model")
