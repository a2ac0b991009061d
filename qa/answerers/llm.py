"""The LLM answerer: a generated answer in the question's language, every sentence validated.

The top passages go to an OpenAI-compatible server (``qa.llm.client``) as numbered data
(``qa.llm.prompts``); the streamed answer is then validated (``qa.llm.validate``): only sentences
their cited passages support are kept, each citing its supporting sentence. Off-topic questions
are declined before any call, with the extractive answerer's calibrated relevance threshold.
When the server is down, slow or sends garbage, the extractive answer is given instead, with
``fallback_reason`` saying why.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from qa import strings
from qa.answer import Answer
from qa.answerers.base import AnswerRequest
from qa.answerers.extractive import NOT_IN_REPORT, OFF_TOPIC, ExtractiveAnswerer
from qa.llm.client import Completion, LLMClient, LLMConfig, LLMError, TokenCallback
from qa.llm.prompts import answer_messages
from qa.llm.validate import Validation, Validator
from qa.retrieval import Retriever
from qa.settings import Settings

log = logging.getLogger(__name__)


class LLMAnswerer:
    """Generates with an LLM server and keeps only supported sentences; falls back to quoting."""

    name = "llm"

    def __init__(self, retriever: Retriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings
        self.client = LLMClient(LLMConfig.from_settings(settings))
        self.validator = Validator(retriever, settings.llm_support_threshold)
        self.extractive = ExtractiveAnswerer(retriever, settings)
        self._model: str | None = None
        self._lock = threading.Lock()

    def probe(self) -> str:
        """Ask the server for its models (``/v1/models``) and remember the one to use.

        Raises:
            LLMError: the server is down, refuses us or lists no model.
        """
        model = self.client.resolve_model()
        with self._lock:
            self._model = model
        return model

    def relevance(self, request: AnswerRequest) -> float:
        """The extractive answerer's abstention score: off-topic questions are declined before any call
        (so ``report-qa calibrate`` calibrates this answerer's threshold too)."""
        return self.extractive.relevance(request)

    @property
    def model(self) -> str | None:
        """The model answers come from, once a probe has succeeded."""
        return self._model

    def _decline(
        self, request: AnswerRequest, validation: Validation | None = None, reason: str = NOT_IN_REPORT
    ) -> Answer:
        lang = request.language
        dropped = validation.dropped if validation else []
        return Answer(request.text, lang, False, strings.DECLINED[reason][lang], [], request.hits, request.qid,
                      answerer=self.name, model=self.model, dropped=dropped,
                      generation=validation.stats if validation else None, declined=reason)

    def _fallback(self, request: AnswerRequest, reason: LLMError) -> Answer:
        log.info("answering extractively: %s", reason)
        return replace(self.extractive.answer(request), fallback_reason=str(reason))

    def generate(self, request: AnswerRequest, on_token: TokenCallback | None = None) -> Completion:
        """The raw streamed completion for ``request`` (no validation).

        Raises:
            LLMError: the server failed; see :meth:`LLMClient.chat`.
        """
        model = self._model or self.probe()
        hits = request.hits[: self.settings.llm_passages]
        return self.client.chat(answer_messages(request.text, request.language, hits), model, on_token)

    def answer(self, request: AnswerRequest, on_token: TokenCallback | None = None) -> Answer:
        """Answer ``request``; ``on_token`` receives the raw generated text as it streams."""
        if self.extractive.off_topic(request):
            return self._decline(request, reason=OFF_TOPIC)  # no passage can support an answer
        try:
            completion = self.generate(request, on_token)
        except LLMError as exc:
            return self._fallback(request, exc)
        hits = request.hits[: self.settings.llm_passages]
        validation = self.validator.validate(completion.text, hits, request.language)
        if not validation.kept:
            return self._decline(request, validation)
        text, citations = validation.compose()
        return Answer(request.text, request.language, True, text, citations, request.hits, request.qid,
                      answerer=self.name, model=completion.model, dropped=validation.dropped,
                      generation=validation.stats)

    def answer_streaming(self, request: AnswerRequest, on_token: TokenCallback) -> Answer:
        """:meth:`answer` with the raw tokens passed to ``on_token`` as they stream."""
        return self.answer(request, on_token)
