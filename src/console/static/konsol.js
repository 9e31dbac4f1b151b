// Progressive enhancement only: every page works without this file.
// "j"/"n" opens the next item of a list or case, "k"/"p" the previous; links carry data-key.
document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
  const key = e.key.toLowerCase();
  const link = document.querySelector(`a[data-key~="${key}"]`);
  if (link) { e.preventDefault(); link.click(); }
});
// A confirm step before a decision that changes citizens.
document.querySelectorAll('form[data-confirm]').forEach((f) => f.addEventListener('submit', (e) => {
  if (!window.confirm(f.dataset.confirm)) e.preventDefault();
}));
