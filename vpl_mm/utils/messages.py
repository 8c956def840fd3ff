from mmengine.logging import MessageHub


def iteration_text() -> str:
    """`` at iteration <n>`` (1-based) of the running loop, or ``''``: for
    messages of the model and the optim wrapper alike."""
    it = MessageHub.get_current_instance().get_info('iter')
    return '' if it is None else f' at iteration {it + 1}'
