// Drives notes/explorer.html in Debian's Chromium with playwright-core, the way a reader
// would: for every row with a racing pair, click the row in the matrix, step with the
// arrow key to the pair's later step, and read what the page shows there (the heap
// panel's state of the freed identity, the racing-pair box). Then, as a control, step
// back to before the free and read the same panel again. Prints one JSON object;
// tests/explorer.rs judges it.
//
// Usage: PLAYWRIGHT_MODULES=<node_modules> node drive.cjs <explorer.html> <screenshot.png> <row id>
const path = require("path");
const { chromium } = require(path.join(process.env.PLAYWRIGHT_MODULES, "playwright-core"));

const [file, shot, example] = process.argv.slice(2);
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: FLAGS, headless: true });
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const errors = [];
  page.on("pageerror", e => errors.push(String(e)));
  await page.goto("file://" + path.resolve(file));
  const where = () => page.$eval("#where", e => Number(e.dataset.seq));
  const stateOf = o => page.$$eval("#heap tr[data-object]", (trs, o) => {
    const tr = trs.find(t => t.dataset.object === o);
    return tr ? tr.dataset.state : "absent";
  }, o);
  const rows = await page.evaluate(() => ROWS.filter(r => r.steps.length && (r.race || r.outcome === "race"))
    .map(r => ({ id: r.id, race: r.race || null })));
  const results = [];
  for (const row of rows) {
    const res = { id: row.id, has_pair: !!row.race };
    if (!row.race) { results.push(res); continue; }
    await page.click(`#matrix tr[data-id="${row.id}"]`);
    const target = row.race.pair[1];
    let seq = await where(), presses = 0, monotone = true;
    while (seq < target && presses < 2000) {
      await page.keyboard.press("ArrowRight");
      presses++;
      const next = await where();
      if (next <= seq) { monotone = false; break; }
      seq = next;
    }
    res.reached = seq === target;
    res.presses = presses;
    res.monotone = monotone;
    res.race_box = await page.$eval("#race", e => e.textContent);
    res.race_line = (await page.$("#race-line")) !== null;
    if (row.race.freed) {
      const [object, at] = row.race.freed;
      res.freed = object;
      res.state_at_race = await stateOf(object);
      // The control: before the free the same panel must not call it freed.
      while (seq >= at && presses < 4000) {
        await page.keyboard.press("ArrowLeft");
        presses++;
        seq = await where();
      }
      res.state_before_free = await stateOf(object);
      res.seq_before_free = seq;
    }
    results.push(res);
  }
  await page.click(`#matrix tr[data-id="${example}"]`);
  await page.keyboard.press("r");
  await page.screenshot({ path: shot });
  const example_state = await page.$eval("#where", e => Number(e.dataset.seq));
  console.log(JSON.stringify({ errors, rows: results, example_seq: example_state }));
  await browser.close();
})().catch(e => { console.log(JSON.stringify({ fatal: String(e && e.stack || e) })); process.exit(1); });
