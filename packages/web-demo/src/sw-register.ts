/** Registers the generated service worker in built sites, so in-browser mode works offline. */
export function registerServiceWorker(statusElement: HTMLElement): void {
  // Not under the dev server (it has HMR): a cached dev page would hide edits. `import.meta.env.PROD`
  // is not the test here: it follows NODE_ENV, which is "test" when the browser tests build the site.
  if (import.meta.hot || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('sw.js').then(
    () =>
      navigator.serviceWorker.ready.then(() => {
        statusElement.textContent = 'Ready to work offline.';
        document.body.dataset.offline = 'ready';
      }),
    (error: unknown) => {
      // Not fatal: the page works online; say why offline won't.
      statusElement.textContent = `Offline mode unavailable (${(error as Error).message}).`;
    },
  );
}
