print("partition")
