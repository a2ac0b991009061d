"""Theme, stylesheet and the one script of the web chat (Gradio 6 takes them at launch)."""

from __future__ import annotations

import gradio as gr

# Gradio's bundled local fonts (the machine is offline, so no web fonts). Its Source Sans Pro
# SemiBold file holds only a few dozen glyphs, so bold text would mix fonts: use Regular and Bold.
THEME = gr.themes.Default(
    primary_hue="blue", secondary_hue="slate", neutral_hue="slate",
    font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"),
)

# Colours come from the theme's variables so light and dark mode both work.
CSS = """
.gradio-container { max-width: 1400px !important; }
.rqa-top { align-items: flex-end; }
.rqa-header h1 { font-size: 1.6rem; font-weight: 700; margin: 0 0 .2rem; }
.rqa-header p { margin: 0; color: var(--body-text-color-subdued); max-width: 60rem; }
.rqa-status { margin: .4rem 0 0; font-size: .8rem; color: var(--body-text-color-subdued); }

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
  font-size: .82rem; color: var(--body-text-color-subdued);
}
.rqa-inline-sources ul, .rqa-inline-sources ol { margin: .2rem 0 0; padding-left: 1.2rem; }
.rqa-inline-sources ul { list-style: none; padding-left: 0; }
.rqa-inline-sources a { color: var(--body-text-color-subdued) !important; }
.rqa-placeholder { text-align: center; max-width: 30rem; margin: 0 auto; color: var(--body-text-color-subdued); }
.rqa-placeholder h3 { font-size: 1.15rem; font-weight: 600; color: var(--body-text-color); margin: 0 0 .4rem; }
.rqa-error { color: var(--error-text-color); background: var(--error-background-fill);
  border: 1px solid var(--error-border-color); border-radius: 6px; padding: .45rem .6rem; margin: 0; }

/* Sources panel and passage search */
/* The panel scrolls by itself, so following a [n] link never moves the chat out of view. */
#rqa-sources-panel { max-height: 735px; overflow-y: auto !important; padding-right: .3rem; }
.rqa-sources, .rqa-hits { padding: .2rem .2rem .6rem; }
.rqa-panel-title { font-size: 1.05rem; font-weight: 700; margin: .1rem 0 .6rem; }
.rqa-empty { color: var(--body-text-color-subdued); font-size: .9rem; }
.rqa-turn { margin-bottom: 1.1rem; }
.rqa-turn + .rqa-turn { padding-top: .9rem; border-top: 1px dashed var(--border-color-primary); }
.rqa-turn-head { display: flex; gap: .5rem; align-items: baseline; }
.rqa-turn-no {
  flex: none; font-size: .72rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
  color: var(--body-text-color-subdued);
}
.rqa-question { font-weight: 600; }
.rqa-context, .rqa-note { font-size: .8rem; color: var(--body-text-color-subdued); margin: .3rem 0; }
.rqa-declined-note { color: var(--body-text-color); font-weight: 600; }
#rqa-sources-panel .rqa-list, #rqa-hits .rqa-list { list-style: none; padding: 0; margin: .3rem 0 0; }
.rqa-passage {
  margin: 0 0 .6rem; padding: .5rem .7rem; border-radius: 8px;
  border: 1px solid var(--border-color-primary); border-left: 3px solid var(--color-accent);
  background: var(--block-background-fill); scroll-margin-top: .5rem;
}
.rqa-passage:target { box-shadow: 0 0 0 2px var(--color-accent); }
.rqa-loc { font-size: .78rem; color: var(--body-text-color-subdued); margin-bottom: .3rem; }
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
"""

# Follow a [n] (or closest-passage) link inside the sources panel only: the browser's own jump
# would also scroll the page and take the chat out of view. Without JavaScript the link still works.
HEAD = """
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest ? event.target.closest('a[href^="#cite-"], a[href^="#near-"]') : null;
  const target = link && document.getElementById(link.getAttribute("href").slice(1));
  const panel = target && target.closest("#rqa-sources-panel");
  if (!panel) return;
  event.preventDefault();
  panel.scrollIntoView({ block: "nearest" });
  const offset = target.getBoundingClientRect().top - panel.getBoundingClientRect().top;
  panel.scrollTo({ top: panel.scrollTop + offset - 48, behavior: "smooth" });
  target.classList.remove("rqa-flash");
  void target.offsetWidth;  // restart the animation
  target.classList.add("rqa-flash");
});
</script>
"""

# Run after each answer: the newest turn is at the top of the sources panel.
SCROLL_SOURCES_TO_TOP = """() => {
  const panel = document.getElementById("rqa-sources-panel");
  if (panel) panel.scrollTop = 0;
}"""
