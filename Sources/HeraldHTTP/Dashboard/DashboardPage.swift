/// The dashboard page, embedded in the binary: plain HTML here, its style in `DashboardPage+Style.swift`, its
/// script in `DashboardPage+Script.swift`. No build step and no resource from another origin.
///
/// The page reads the node through its own API (`/readyz`, `/healthz`, `/stats`, `/topics/{topic}`), tails one
/// topic with `EventSource`, and publishes with `POST /publish`. The element ids are its interface with the
/// script and with the browser test (`#tail[data-state]`, `#tail .data`).
enum DashboardPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>Herald</title>
        <link rel="stylesheet" href="/dashboard.css">
        <script src="/dashboard.js" defer></script>
        </head>
        <body>
        <header>
          <h1>Herald</h1>
          <p id="status" data-state="unknown" role="status">checking…</p>
          <button id="token-button" type="button">Token</button>
        </header>
        <form id="auth" hidden>
          <p id="auth-reason">This node asks for a token.</p>
          <label for="token">Access token <small>(kept in this tab only)</small></label>
          <input id="token" type="password" autocomplete="off" spellcheck="false">
          <button type="submit">Use token</button>
          <button id="token-forget" type="button">Forget</button>
        </form>
        <main>
          <section aria-labelledby="node-heading">
            <h2 id="node-heading">Node</h2>
            <dl>
              <div><dt>Status</dt><dd id="node-status">—</dd></div>
              <div><dt>Backend</dt><dd id="node-backend">—</dd></div>
              <div><dt>Version</dt><dd id="node-version">—</dd></div>
              <div><dt>Uptime</dt><dd id="node-uptime">—</dd></div>
              <div><dt>Streams</dt><dd id="node-streams">—</dd></div>
              <div><dt>Topics</dt><dd id="node-topics">—</dd></div>
              <div><dt>Connections</dt><dd id="node-connections">—</dd></div>
            </dl>
          </section>
          <section aria-labelledby="busiest-heading">
            <h2 id="busiest-heading">Busiest topics</h2>
            <div class="tables">
              <table>
                <caption>By subscribers</caption>
                <thead><tr><th scope="col">Topic</th><th scope="col">Subscribers</th></tr></thead>
                <tbody id="by-subscribers"></tbody>
              </table>
              <table>
                <caption>By events per second</caption>
                <thead><tr><th scope="col">Topic</th><th scope="col">Events/s</th></tr></thead>
                <tbody id="by-rate"></tbody>
              </table>
            </div>
          </section>
          <section aria-labelledby="publish-heading">
            <h2 id="publish-heading">Publish</h2>
            <form id="publish">
              <label for="publish-topic">Topic</label>
              <input id="publish-topic" required spellcheck="false">
              <label for="publish-event">Event type <small>(optional)</small></label>
              <input id="publish-event" spellcheck="false">
              <label for="publish-data">Data</label>
              <textarea id="publish-data" rows="3" required></textarea>
              <button type="submit">Publish</button>
              <p id="publish-result" role="status"></p>
            </form>
          </section>
          <section class="wide" aria-labelledby="tail-heading">
            <h2 id="tail-heading">Live tail</h2>
            <form id="watch">
              <label for="watch-topic">Topic</label>
              <input id="watch-topic" name="topic" required spellcheck="false" placeholder="orders/42">
              <label for="watch-types">Event types <small>(besides message, comma-separated)</small></label>
              <input id="watch-types" name="types" spellcheck="false">
              <button type="submit">Watch</button>
            </form>
            <p class="meta">
              <span id="tail-state" role="status">not watching</span> ·
              subscribers: <span id="tail-subscribers">—</span>
              <button id="tail-clear" type="button">Clear</button>
            </p>
            <ol id="tail" data-state="idle" aria-live="polite" aria-label="Events, newest first"></ol>
          </section>
        </main>
        <noscript><p>The dashboard needs JavaScript.</p></noscript>
        </body>
        </html>
        """#
}
