"""Generated answers from an OpenAI-compatible LLM server: client, prompts and validation."""
