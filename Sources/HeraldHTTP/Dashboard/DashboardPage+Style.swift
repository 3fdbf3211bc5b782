extension DashboardPage {
    /// The page's style sheet: system fonts, light and dark through `prefers-color-scheme`, contrast of at
    /// least 4.5:1 for text in both.
    static let style = #"""
        :root {
          --bg: #f7f7f8; --panel: #ffffff; --text: #1b1d21; --muted: #545b66; --line: #d9dce1;
          --accent: #1d5fd1; --ok: #17703a; --bad: #b3261e; --code: #eef0f3;
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
          color-scheme: light dark;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #131417; --panel: #1c1e22; --text: #e8eaed; --muted: #a9b0bb; --line: #33373e;
            --accent: #8ab4f8; --ok: #6dd58c; --bad: #f2b8b5; --code: #26292e;
          }
        }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--text); line-height: 1.4; }
        header { display: flex; align-items: center; gap: 1rem; padding: .75rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--panel); }
        h1 { font-size: 1.25rem; margin: 0; }
        h2 { font-size: 1rem; margin: 0 0 .75rem; }
        #status { margin: 0; padding: .15rem .6rem; border-radius: 1rem; border: 1px solid currentColor; color: var(--muted); }
        #status[data-state="ready"] { color: var(--ok); }
        #status[data-state="unready"], #status[data-state="down"] { color: var(--bad); }
        #token-button { margin-left: auto; }
        main { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; padding: 1rem 1.5rem; }
        section { background: var(--panel); border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; min-width: 0; }
        section.wide { grid-column: 1 / -1; }
        dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: .5rem 1rem; margin: 0; }
        dt { color: var(--muted); font-size: .85rem; }
        dd { margin: 0; font-size: 1.1rem; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
        .tables { display: grid; gap: 1rem; }
        table { border-collapse: collapse; width: 100%; font-size: .9rem; }
        caption { text-align: left; color: var(--muted); padding-bottom: .25rem; }
        th, td { text-align: left; padding: .2rem .4rem; border-bottom: 1px solid var(--line); overflow-wrap: break-word; }
        td, thead th:last-child { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
        th[scope="row"] { font-weight: normal; }
        form { display: grid; gap: .35rem; }
        #watch { grid-template-columns: auto 1fr auto 1fr auto; align-items: center; gap: .5rem; }
        #auth { grid-template-columns: auto 1fr auto auto; align-items: center; gap: .5rem; padding: .75rem 1.5rem; background: var(--panel); border-bottom: 1px solid var(--line); }
        #auth[hidden] { display: none; }
        #auth-reason { grid-column: 1 / -1; margin: 0; color: var(--bad); }
        label { font-size: .85rem; color: var(--muted); }
        input, textarea, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: .3rem; padding: .35rem .5rem; }
        textarea { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; resize: vertical; }
        button { cursor: pointer; background: var(--accent); color: var(--panel); border-color: var(--accent); }
        button[type="button"] { background: transparent; color: var(--accent); }
        :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
        .meta { color: var(--muted); margin: .75rem 0 .5rem; }
        #tail-state[data-state="live"] { color: var(--ok); }
        #tail-state[data-state="closed"] { color: var(--bad); }
        #tail { list-style: none; margin: 0; padding: 0; max-height: 24rem; overflow-y: auto; border-top: 1px solid var(--line); }
        #tail li { display: grid; grid-template-columns: 6rem 8rem 1fr; gap: .75rem; padding: .3rem 0; border-bottom: 1px solid var(--line); font-size: .9rem; }
        #tail li.notice { color: var(--bad); grid-template-columns: 6rem 1fr; }
        #tail time, #tail .type { color: var(--muted); font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
        #tail .data { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; background: var(--code); padding: 0 .3rem; border-radius: .2rem; white-space: pre-wrap; overflow-wrap: anywhere; }
        #tail li.empty { display: block; color: var(--muted); }
        #publish-result { margin: 0; min-height: 1.4em; overflow-wrap: anywhere; }
        #publish-result.error { color: var(--bad); }
        @media (max-width: 40rem) {
          #watch, #auth { grid-template-columns: 1fr; }
          #tail li { grid-template-columns: 1fr; gap: 0; }
        }
        """#
}
