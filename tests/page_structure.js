// What axe rates below "serious" but the product asks for on every page: one <h1>, headings
// without skipped levels, the skip link first, the landmarks, no tab roles without panels,
// and every invalid field tied to its error. Evaluated by tests/test_accessibility.py.
() => {
  const problems = [];
  const ones = document.querySelectorAll("h1").length;
  if (ones !== 1) problems.push(`${ones} <h1> elements`);
  let last = 0;
  for (const heading of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = Number(heading.tagName[1]);
    if (level > last + 1) problems.push(`h${level} after h${last}: ${heading.textContent.trim()}`);
    last = level;
  }
  const first = document.querySelector(
    "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])");
  if (!first || !first.matches("a.skip-link[href='#content']")) problems.push("the skip link is not first");
  if (!document.querySelector("main#content")) problems.push("no <main id=content>");
  if (!document.querySelector("body > header") || !document.querySelector("body > footer")) problems.push("no header or footer");
  if (document.querySelector("[role=tab], [role=tablist]") && !document.querySelector("[role=tabpanel]")) problems.push("tab roles without tab panels");
  for (const field of document.querySelectorAll("[aria-invalid=true]")) {
    const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!described.some((id) => document.getElementById(id)?.matches(".field-error")))
      problems.push(`${field.name || field.tagName}: its error is not tied to it`);
  }
  return problems;
}
