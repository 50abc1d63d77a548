() => {
  // A grid card's "inspect" link opens the Next-token view at that card's temperature; clicking a bar
  // of the next-token chart picks that token (the bars and the pick list share their order).
  // Gradio draws a new plot on every update: listen to each one once.
  setInterval(() => {
    const plot = document.querySelector('#next-token-chart .js-plotly-plot');
    if (!plot || !plot.on || plot.pgClicks) return;
    plot.pgClicks = true;
    plot.on('plotly_click', (data) => {
      const index = data && data.points && data.points.length ? Number(data.points[0].x) : -1;
      const option = document.querySelectorAll('#pick-token input[type=radio]')[index];
      if (option) option.click();
    });
  }, 300);
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a.pg-inspect');
    if (!link) return;
    event.preventDefault();
    const tab = [...document.querySelectorAll('button[role=tab]')].find(b => b.innerText.trim() === 'Next token');
    if (tab) tab.click();
    const box = document.querySelector('#next-temperature input[type=number]');
    if (box) {
      box.value = link.dataset.temperature;
      box.dispatchEvent(new Event('input', {bubbles: true}));
      box.dispatchEvent(new Event('change', {bubbles: true}));
      box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
      box.blur();
    }
    document.querySelector('#next-token-chart')?.scrollIntoView({block: 'center'});
  });
}
