def init():
    pass


def run(input_data, mini_batch_context):
    return []
