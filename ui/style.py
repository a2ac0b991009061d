"""Theme, stylesheet and the one script of the web chat (Gradio 6 takes them at launch)."""

from __future__ import annotations

import gradio as gr

# Gradio's bundled local fonts (the machine is offline, so no web fonts). Its Source Sans Pro
# SemiBold file holds only a few dozen glyphs, so bold text would mix fonts: use Regular and Bold.
THEME = gr.themes.Default(
    primary_hue="blue", secondary_hue="slate", neutral_hue="slate",
    font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"),
).set(
    # Blue 500 on white is 3.7:1, under WCAG AA's 4.5:1 for text: links, tabs and buttons use blue 700.
    color_accent="*primary_700", color_accent_soft="*primary_50",
    button_primary_background_fill="*primary_700", button_primary_background_fill_hover="*primary_800",
    button_primary_text_color="white",
)

# Colours come from the theme's variables so light and dark mode both work.
CSS = """
.gradio-container { max-width: 1400px !important; }
.rqa-top { align-items: flex-end; }
.rqa-header h1 { font-size: 1.6rem; font-weight: 700; margin: 0 0 .2rem; }
.rqa-header p { margin: 0; color: var(--rqa-muted); max-width: 60rem; }
.rqa-status { margin: .4rem 0 0; font-size: .8rem; color: var(--rqa-muted); }

/* Chat messages */
[data-testid="user"] .message-content { white-space: pre-wrap; }
.rqa-answer p { margin: 0 0 .5rem; line-height: 1.55; }
a.rqa-marker {
  display: inline-block; padding: 0 .28em; margin: 0 .1em; border-radius: 4px;
  font-size: .78em; font-weight: 700; line-height: 1.45; vertical-align: .12em;
  text-decoration: none !important; color: var(--color-accent) !important;
  background: var(--color-accent-soft); border: 1px solid var(--color-accent);
}
a.rqa-marker:hover { background: var(--color-accent); color: white !important; }
.rqa-inline-sources {
  margin-top: .35rem; padding-top: .4rem; border-top: 1px solid var(--border-color-primary);
  font-size: .82rem; color: var(--rqa-muted);
}
.rqa-inline-sources ul, .rqa-inline-sources ol { margin: .2rem 0 0; padding-left: 1.2rem; }
.rqa-inline-sources ul { list-style: none; padding-left: 0; }
.rqa-inline-sources a { color: var(--rqa-muted) !important; }
.rqa-placeholder { text-align: center; max-width: 30rem; margin: 0 auto; color: var(--rqa-muted); }
.rqa-placeholder h3 { font-size: 1.15rem; font-weight: 600; color: var(--body-text-color); margin: 0 0 .4rem; }
.rqa-error { color: var(--error-text-color); background: var(--error-background-fill);
  border: 1px solid var(--error-border-color); border-radius: 6px; padding: .45rem .6rem; margin: 0; }

/* Sources panel and passage search */
/* The panel scrolls by itself, so following a [n] link never moves the chat out of view. */
#rqa-sources-panel { max-height: 735px; overflow-y: auto !important; padding-right: .3rem; }
.rqa-sources, .rqa-hits { padding: .2rem .2rem .6rem; }
.rqa-panel-title { font-size: 1.05rem; font-weight: 700; margin: .1rem 0 .6rem; }
.rqa-empty { color: var(--rqa-muted); font-size: .9rem; }
.rqa-turn { margin-bottom: 1.1rem; }
.rqa-turn + .rqa-turn { padding-top: .9rem; border-top: 1px dashed var(--border-color-primary); }
.rqa-turn-head { display: flex; gap: .5rem; align-items: baseline; }
.rqa-turn-no {
  flex: none; font-size: .72rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
  color: var(--rqa-muted);
}
.rqa-question { font-weight: 600; }
.rqa-context, .rqa-note { font-size: .8rem; color: var(--rqa-muted); margin: .3rem 0; }
.rqa-declined-note { color: var(--body-text-color); font-weight: 600; }
#rqa-sources-panel .rqa-list, #rqa-hits .rqa-list { list-style: none; padding: 0; margin: .3rem 0 0; }
.rqa-passage {
  margin: 0 0 .6rem; padding: .5rem .7rem; border-radius: 8px;
  border: 1px solid var(--border-color-primary); border-left: 3px solid var(--color-accent);
  background: var(--block-background-fill); scroll-margin-top: .5rem;
}
.rqa-passage:target { box-shadow: 0 0 0 2px var(--color-accent); }
.rqa-loc { font-size: .78rem; color: var(--rqa-muted); margin-bottom: .3rem; }
.rqa-n { font-weight: 700; color: var(--color-accent); margin-right: .15rem; }
.rqa-n a { text-decoration: none !important; color: var(--color-accent) !important; margin-right: .15rem; }
.rqa-n a:hover { text-decoration: underline !important; }
.rqa-doc { font-family: var(--font-mono); font-size: .74rem; }
.rqa-score { font-variant-numeric: tabular-nums; font-weight: 600; }
#rqa-sources-panel .rqa-passage blockquote, #rqa-hits .rqa-passage blockquote {
  margin: 0 !important; padding: 0; border: 0; white-space: pre-line;
  font-size: .88rem; line-height: 1.5; color: var(--body-text-color);
}
.rqa-passage mark { background: #fde68a; color: #1f2937; padding: .05em .15em; border-radius: 3px; }
.rqa-mark-n { font-weight: 700; font-size: .7em; margin-right: .2em; color: #92400e; }
.rqa-flash { animation: rqa-flash 1.6s ease-out; }
@keyframes rqa-flash { from { box-shadow: 0 0 0 3px var(--color-accent); } to { box-shadow: 0 0 0 3px transparent; } }

/* issue 13. Muted text dark enough for WCAG AA contrast (Gradio's "subdued" is not). */
:root { --rqa-muted: #4b5563; }
.dark { --rqa-muted: #b6bcc6; }
/* Gradio's slider prints its bounds in a colour too light to read (axe: color-contrast). */
.min_value, .max_value { color: var(--rqa-muted) !important; }
/* Under the question box: why a message was not sent, and the character counter near the limit. */
.rqa-hint-box { display: flex; gap: .6rem; font-size: .85rem; min-height: 1.25em; padding: 0 .2rem; }
.rqa-hint { color: var(--error-text-color); }
.rqa-counter { margin-left: auto; color: var(--rqa-muted); font-variant-numeric: tabular-nums; }
.rqa-counter.rqa-over { color: var(--error-text-color); font-weight: 700; }
/* A long question heads its sources on one line; the title attribute has all of it. */
.rqa-turn-head { min-width: 0; }
.rqa-question { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
/* Each answer's own (folded) passages: shown on narrow screens, where the sources panel is not. */
.rqa-answer-sources { display: none; }
.rqa-answer-sources summary { cursor: pointer; font-size: .9rem; font-weight: 700; color: var(--color-accent);
  padding: .3rem 0; }
.rqa-answer-sources .rqa-list { list-style: none; padding: 0; margin: .3rem 0 0; }
.rqa-answer-sources blockquote { margin: 0 !important; padding: 0; border: 0; white-space: pre-line;
  font-size: .88rem; line-height: 1.5; }
.rqa-off-topic p { margin: 0; }
/* Read by screen readers, not shown (e.g. where a [n] link leads). */
.rqa-sr { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
mark.rqa-term { background: #fde68a; color: #1f2937; padding: 0 .1em; border-radius: 3px; }
a.rqa-marker:focus-visible, .rqa-passage :focus-visible, .rqa-answer-sources summary:focus-visible,
mark:focus, .rqa-passage:focus { outline: 2px solid var(--color-accent); outline-offset: 2px; }
/* Gradio's footer follows the browser's locale, not the interface language: the page has its own. */
footer:not(.rqa-footer) { display: none !important; }
/* Gradio pads the page by 2rem a side, a sixth of a phone's width. (Rules inside @media are scoped
   to the app's contents by Gradio, so the page's own padding is set here, scaled by the width.) */
.main.app { padding-left: clamp(.4rem, 2.3vw, 2rem) !important; padding-right: clamp(.4rem, 2.3vw, 2rem) !important; }
.rqa-footer { text-align: center; font-size: .8rem; color: var(--rqa-muted); padding: .4rem 0 .8rem; }

@media (max-width: 720px) {
  /* One compact line: title and the language switch. */
  .rqa-top { flex-wrap: nowrap !important; align-items: center !important; gap: .4rem !important; }
  .rqa-top > * { min-width: 0 !important; }
  .rqa-top > .form:has(#rqa-language) { flex: none !important; min-width: max-content !important; }
  .rqa-header h1 { font-size: 1.15rem; margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .rqa-header p { display: none; }
  #rqa-language { flex: none !important; min-width: max-content !important; padding: .25rem .4rem !important; }
  #rqa-language [data-testid="block-info"] { position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap; }
  #rqa-language label { padding: .2rem .45rem !important; }
  /* The radio dots go (the chosen language is highlighted); the inputs stay for keyboards and screen readers. */
  #rqa-language input[type="radio"] { position: absolute; opacity: 0; width: 1px; height: 1px; }
  #rqa-language label.selected { background: var(--color-accent-soft); border-color: var(--color-accent) !important;
    font-weight: 700; }
  #rqa-language label:focus-within { outline: 2px solid var(--color-accent); }
  /* Chat and input on the first screen. */
  #rqa-chat { height: calc(100svh - 270px) !important; min-height: 260px; }
  .rqa-input-row { flex-wrap: wrap !important; }
  #rqa-question { flex: 1 1 100% !important; }
  #rqa-send, #rqa-clear { flex: 1 1 0 !important; }
  /* The sources panel would sit far below the chat: each answer folds its own passages instead. */
  .rqa-sources-column, .rqa-inline-sources { display: none !important; }
  .rqa-answer-sources { display: block; margin-top: .3rem; }
}
"""

# Follow a [n] (or closest-passage) link inside the sources panel only: the browser's own jump
# would also scroll the page and take the chat out of view. On a narrow screen the panel is hidden:
# the link opens the passages folded into its own answer instead, so the reader keeps their place.
# The passage gets the focus (keyboard and screen reader users land on it). Without JavaScript the
# link still works. The script also keeps the character counter current while the user types, and
# names the language switch, describes the input by its hint and sets the page's language for
# screen readers.
HEAD = """
<script>
(() => {
  const land = (target) => {
    target.classList.remove("rqa-flash");
    void target.offsetWidth;  // restart the animation
    target.classList.add("rqa-flash");
    target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest('a[href^="#cite-"], a[href^="#near-"]') : null;
    if (!link) return;
    const id = link.getAttribute("href").slice(1);
    const panel = document.getElementById("rqa-sources-panel");
    if (!panel || !panel.offsetParent) {
      const answer = link.closest(".rqa-answer");
      const target = answer && answer.querySelector('[id="m-' + id + '"]');
      if (!target) return;
      event.preventDefault();
      const fold = target.closest("details");
      if (fold) fold.open = true;
      target.scrollIntoView({ block: "center" });
      land(target);
      // Opening the fold makes the chat taller, and the Chatbot then scrolls itself to its end: come back.
      setTimeout(() => target.scrollIntoView({ block: "center" }), 400);
      return;
    }
    const target = document.getElementById(id);
    if (!target || !target.closest("#rqa-sources-panel")) return;
    event.preventDefault();
    panel.scrollIntoView({ block: "nearest" });
    const offset = target.getBoundingClientRect().top - panel.getBoundingClientRect().top;
    panel.scrollTo({ top: panel.scrollTop + offset - 48 });
    land(target);
  });
  document.addEventListener("input", (event) => {
    if (!event.target.matches || !event.target.matches("#rqa-question textarea")) return;
    const box = document.querySelector("#rqa-input-hint .rqa-hint-box");
    if (!box) return;
    const n = event.target.value.trim().split(/\\s+/).join(" ").length;
    const limit = Number(box.dataset.limit);
    const counter = box.querySelector(".rqa-counter");
    counter.textContent = n >= Number(box.dataset.from)
      ? box.dataset.counter.replace("{n}", n).replace("{limit}", limit) : "";
    counter.classList.toggle("rqa-over", n > limit);
  });
  const label = () => {
    const picker = document.getElementById("rqa-language");
    const name = picker && picker.querySelector('[data-testid="block-info"]');
    if (name && picker.getAttribute("aria-label") !== name.textContent.trim()) {
      picker.setAttribute("aria-label", name.textContent.trim());
    }
    const checked = picker && picker.querySelector("input:checked");
    if (checked && document.documentElement.lang !== checked.value) document.documentElement.lang = checked.value;
    const box = document.querySelector("#rqa-question textarea");
    if (box && !box.getAttribute("aria-describedby")) box.setAttribute("aria-describedby", "rqa-input-hint");
  };
  const watched = { childList: true, subtree: true, characterData: true };
  new MutationObserver(label).observe(document.documentElement, watched);
  document.addEventListener("change", label);
})();
</script>
"""

# Run after each answer: the newest turn is at the top of the sources panel, and the focus goes
# back to the question box for the next question.
SCROLL_SOURCES_TO_TOP = """() => {
  const panel = document.getElementById("rqa-sources-panel");
  if (panel) panel.scrollTop = 0;
  const box = document.querySelector("#rqa-question textarea");
  if (box) box.focus({ preventScroll: true });
}"""
