from .extract import ExtractError, extract_branch

__all__ = ['ExtractError', 'extract_branch']
