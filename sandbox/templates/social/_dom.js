// Builds elements from untrusted data: text goes in with textContent, never innerHTML.
function el(name, className, text) {
  const node = document.createElement(name);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
function link(href, className, text) {
  const node = el("a", className, text);
  node.href = href;
  return node;
}
function idFromPath(prefix) {
  return decodeURIComponent(location.pathname.slice(prefix.length));
}
async function getJson(url) {
  const response = await fetch(url, {headers: {Accept: "application/json"}});
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return response.json();
}
function postCard(post) {
  const card = el("article", "post-card");
  const by = el("div", "meta");
  by.append(el("span", "author-name", post.author.name), " ", el("span", "author-handle", "@" + post.author.handle), " · ");
  const time = el("time", "post-time", post.posted_text);
  time.dateTime = post.posted_at;
  by.append(time);
  card.append(by, el("p", "post-excerpt", post.excerpt), link(post.url, "post-link", "View post →"));
  return card;
}
