() => {
  // Every chart says what it shows in words. The figure carries that text (its layout's meta, written
  // by playground/figures); here it is put under the chart, or, where the tab already shows the chart in
  // words, that element is named. The chart becomes a figure (not an image: its bars can be clicked)
  // named by its title (or the name its meta gives) and described by the text, so a screen reader
  // announces both. Gradio draws a new plot on every update: check them all a few times a second.
  const plain = (html) => String(html || '').replace(/<br\s*\/?>/gi, ' · ').replace(/<[^>]*>/g, '').trim();
  const title = (plot) => {
    const t = plot.layout && plot.layout.title;
    const named = plot.layout && plot.layout.meta && plot.layout.meta.name;
    return plain(typeof t === 'string' ? t : t && t.text) || named || 'Chart, empty for now';
  };
  const describe = () => {
    const seen = new Set();
    document.querySelectorAll('.js-plotly-plot').forEach((plot, index) => {
      const meta = plot.layout && plot.layout.meta;
      const text = meta && meta.text_alternative;
      const block = plot.closest('.block') || plot.parentElement;
      // A chart whose tab already says it in words (the class view's list) is described by that.
      const said = meta && meta.described_by && document.getElementById(meta.described_by);
      if (!(text || said) || !block) return;
      let id = said && said.id;
      if (!said) {
        id = `${block.id || 'pg-chart-' + index}-text`;
        let caption = document.getElementById(id);
        if (!caption) {
          caption = document.createElement('p');
          caption.id = id;
          caption.className = 'pg-chart-text';
          block.appendChild(caption);
        }
        if (caption.textContent !== 'In words: ' + text) caption.textContent = 'In words: ' + text;
        seen.add(caption);
      }
      const names = {role: 'figure', 'aria-label': title(plot), 'aria-describedby': id};
      for (const [name, value] of Object.entries(names)) {
        if (plot.getAttribute(name) !== value) plot.setAttribute(name, value);
      }
    });
    // A chart that was emptied or replaced takes its words with it.
    document.querySelectorAll('.pg-chart-text').forEach((caption) => { if (!seen.has(caption)) caption.remove(); });
  };
  setInterval(describe, 300);

  // The tabs answer the arrow keys, as tabs do (WAI-ARIA): left and right move to the previous or next
  // tab of the same row and open it, Home and End to the first and last.
  document.addEventListener('keydown', (event) => {
    const tab = event.target.closest && event.target.closest('[role=tab]');
    const moves = {ArrowLeft: -1, ArrowRight: 1, Home: 'first', End: 'last'};
    if (!tab || !(event.key in moves) || event.altKey || event.ctrlKey || event.metaKey) return;
    const row = [...tab.closest('[role=tablist]').querySelectorAll('[role=tab]')]
      .filter((t) => t.offsetParent !== null && !t.disabled);
    const here = row.indexOf(tab), move = moves[event.key];
    const next = move === 'first' ? row[0] : move === 'last' ? row[row.length - 1]
      : row[(here + move + row.length) % row.length];
    if (!next || next === tab) return;
    event.preventDefault();
    next.focus();
    next.click();
  });
}
