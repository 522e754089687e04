// What other packages add to the inbox, without the inbox importing them: a package's inbox script (named in
// its module record, loaded before inbox.js) provides a part by name, and the inbox asks for it when it draws.
//   "composer.tools":    a class(form, composer) for buttons beside Send: refresh() when the composer's state
//                        changes (composer.canReply, composer.detail), close() when the conversation changes;
//                        it may call composer.onSent(messageId) and composer.closePopup()
//   "contact.panel":     a function(container, detail): adds sections to the contact panel (every package's, in
//                        the order their scripts load: catalog's cart and orders, flows' journeys and tasks)

const parts = new Map();

export function provide(name, value) {
  parts.set(name, [...(parts.get(name) || []), value]);
}

/** The first package's part of that name. */
export function part(name) {
  return (parts.get(name) || [])[0];
}

/** Every package's part of that name. */
export function every(name) {
  return parts.get(name) || [];
}
