// Before the page paints: styles that need JavaScript (the folding header menu) may apply.
document.documentElement.classList.add("js");
