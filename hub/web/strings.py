"""The strings the inbox's scripts show, translated on the server into the agent's language.

The page carries them as JSON (`<script type="application/json" id="hub-strings">`); the scripts
look them up with `t(key, {name: value})`, which fills in `{name}` placeholders.
"""

from __future__ import annotations

from hub.web.i18n import N_, gettext_for

MESSAGE_KINDS = {
    "text": N_("Text"), "image": N_("Photo"), "audio": N_("Voice message"), "video": N_("Video"),
    "document": N_("File"), "sticker": N_("Sticker"), "location": N_("Location"), "contacts": N_("Contact card"),
    "button_reply": N_("Button reply"), "list_reply": N_("List reply"), "order": N_("Order"),
    "reaction": N_("Reaction"), "callback": N_("Button press"), "payment": N_("Payment"),
    "template": N_("Template message"), "interactive": N_("Interactive message"), "product": N_("Product"),
    "product_list": N_("Product list"), "media": N_("Media"), "buttons": N_("Message with buttons"),
    "list": N_("List message"), "note": N_("Private note"), "system": N_("System message"),
    "unsupported": N_("A message Hub cannot show"),
}

STRINGS = {
    **{f"kind_{kind}": text for kind, text in MESSAGE_KINDS.items()},
    "status_open": N_("Open"), "status_pending": N_("Pending"), "status_snoozed": N_("Snoozed"),
    "status_resolved": N_("Resolved"),
    "tick_queued": N_("Queued"), "tick_sending": N_("Sending"), "tick_sent": N_("Sent"),
    "tick_delivered": N_("Delivered"), "tick_read": N_("Read"),
    "identity_phone": N_("Phone"), "identity_sms": N_("SMS"), "identity_whatsapp": N_("WhatsApp"),
    "identity_whatsapp_user": N_("WhatsApp user"), "identity_telegram": N_("Telegram"),
    "identity_webchat": N_("Web chat"),
    "consent_opted_in": N_("Opted in"), "consent_opted_out": N_("Opted out"),
    "consent_none": N_("No consent recorded yet."),
    "preview_note": N_("Note: {text}"), "preview_you": N_("You: {text}"),
    "unnamed_contact": N_("Unnamed customer"), "unread_count": N_("{count} unread"),
    "no_conversations": N_("No conversations match these filters."),
    "shown_count": N_("{count} conversations"),
    "attachment_n": N_("Attachment {n}"), "attachment_pending": N_("not downloaded yet"),
    "attachments": N_("Attachments"), "not_sent": N_("Not sent: {reason}"),
    "unknown_reason": N_("the provider gave no reason"), "retry": N_("Retry"),
    "private_note": N_("Private note"), "via_channel": N_("via {channel}"),
    "no_messages": N_("No messages yet."),
    "window_closed": N_("The customer's last message was more than {hours} hours ago, so this channel only "
                        "accepts an approved template now. You can still leave a private note."),
    "add_note": N_("Add note"), "send": N_("Send"),
    "note_placeholder": N_("A private note for your colleagues (the customer never sees it)"),
    "reply_placeholder": N_("Write a reply… (type / for canned replies)"),
    "no_canned": N_("No canned reply matches."),
    "contact_language": N_("Language: {value}"), "contact_timezone": N_("Time zone: {value}"),
    "phones_and_handles": N_("Phones and handles"), "verified": N_("verified"), "none": N_("None"),
    "conversations": N_("Conversations"), "this_conversation": N_("this one"),
    "contact_tags": N_("Contact tags"), "custom_fields": N_("Custom fields"), "consent": N_("Consent"),
    "snooze_until": N_("Snooze until"), "snooze": N_("Snooze"), "status": N_("Status"),
    "assignee": N_("Assignee"), "unassigned": N_("Unassigned"), "me_name": N_("{name} (me)"),
    "reopen": N_("Reopen"), "resolve": N_("Resolve"), "add_tag": N_("Add a tag"), "add": N_("Add"),
    "tags": N_("Tags"), "remove_tag": N_("Remove the tag {tag}"),
    "not_found": N_("Not found"),
    "not_found_detail": N_("This conversation does not exist or is not one of your teams'."),
    "error": N_("Something went wrong"), "live": N_("Live"), "reconnecting": N_("Reconnecting…"),
}

ADMIN_STRINGS = {
    # The settings page (admin.js and its admin_*.js modules)
    "save": N_("Save"), "saved": N_("Saved."), "saved_named": N_("Saved {name}."), "save_named": N_("Save {name}"),
    "deleted": N_("Deleted."), "delete": N_("Delete"), "delete_named": N_("Delete {name}"), "cancel": N_("Cancel"),
    "edit": N_("Edit"), "edit_named": N_("Edit {name}"), "enabled": N_("Enabled"), "remove": N_("Remove"),
    "tag": N_("Tag"), "teams": N_("Teams"), "channels": N_("Channels"), "when": N_("When"),
    "no_rules": N_("No rules yet."), "new_rule": N_("New rule"), "edit_rule": N_("Edit the rule {name}"),
    "rule_on": N_("The rule {name} is on"), "rule_saved": N_("Saved the rule {name}."),
    "delete_rule_question": N_("Delete the rule {name}? Tags it applied stay."),
    "tags_conversation": N_("Tags the conversation: {tag}"), "tags_contact": N_("Tags the contact: {tag}"),
    "when_all": N_("When all hold:"), "when_any": N_("When any holds:"),
    "need_name_and_tag": N_("Give the rule a name and the tag it applies."),
    "need_condition": N_("Add at least one condition."),
    "remove_condition": N_("Remove the condition: {kind}"),
    "cond_keywords": N_("Words or phrases"), "cond_pattern": N_("Regular expression"), "cond_channel": N_("Channel"),
    "cond_hours": N_("Business hours"), "cond_custom_field": N_("Contact's custom field"),
    "cond_contact_tag": N_("Contact's tags"), "cond_locale": N_("Contact's language"),
    "keywords_label": N_("Any of these words or phrases, one per line (or separated by commas)"),
    "pattern_label": N_("A regular expression (case-insensitive)"),
    "locales_label": N_("Languages, separated by commas (ja also matches ja-JP)"),
    "channel_kinds": N_("Kinds of channel"),
    "channel_kind_whatsapp_meta": N_("WhatsApp (Meta)"), "channel_kind_whatsapp_twilio": N_("WhatsApp (Twilio)"),
    "channel_kind_sms_twilio": N_("SMS (Twilio)"), "channel_kind_telegram": N_("Telegram"),
    "channel_kind_webchat": N_("Web chat"),
    "hours_inside": N_("Inside business hours"), "hours_outside": N_("Outside business hours"),
    "comparison": N_("Comparison"), "op_equals": N_("equals"), "op_contains": N_("contains"),
    "op_has": N_("has the tag"), "op_lacks": N_("lacks the tag"),
    "field_name": N_("Field"), "field_value": N_("Value"),
    "field_equals": N_("{field} equals {value}"), "field_contains": N_("{field} contains {value}"),
    "contact_has": N_("The contact has the tag {tag}"), "contact_lacks": N_("The contact lacks the tag {tag}"),
    "no_tags": N_("No tags yet."), "threshold": N_("Auto-apply at"), "only_suggest": N_("only suggest"),
    "color": N_("Colour"), "tag_counts": N_("{conversations} conversations · {contacts} contacts"),
    "timezone": N_("Time zone"), "schedule": N_("Hours"), "always_open": N_("Always open"), "closed": N_("Closed"),
    "add_range": N_("Add hours"), "add_range_on": N_("Add hours on {day}"),
    "remove_range": N_("Remove these hours on {day}"),
    "opens_on": N_("Opens on {day}"), "closes_on": N_("Closes on {day}"),
    "open_now": N_("Open now."), "closed_now": N_("Closed now."), "closed_now_next": N_("Closed now; opens {when}."),
    "day_mon": N_("Monday"), "day_tue": N_("Tuesday"), "day_wed": N_("Wednesday"), "day_thu": N_("Thursday"),
    "day_fri": N_("Friday"), "day_sat": N_("Saturday"), "day_sun": N_("Sunday"),
    "policy_round_robin": N_("Round robin"), "policy_least_loaded": N_("Least loaded"),
    "policy_sticky": N_("Sticky (the customer's last agent)"), "policy_skill": N_("By skill (tags)"),
    "scope_team": N_("Team {name}"), "scope_channel": N_("Channel {name}"),
    "policy_kind_of": N_("How {scope} gives out conversations"), "policy_on": N_("The policy of {scope} is on"),
    "delete_policy_question": N_("Delete the policy of {scope}?"),
    "no_policies": N_("No policies yet: conversations wait in the queue until someone takes them."),
    "no_teams": N_("No teams yet."), "no_deadline": N_("none"),
    "deadline_minutes": N_("First-response deadline (minutes)"),
    "team_hours": N_("The team's own business hours"),
    "no_agents": N_("No agents yet."), "capacity": N_("Capacity"), "skills": N_("Skills (tag names)"),
    "skills_hint": N_("refund, vip"), "languages": N_("Languages"),
    "lang_zh": N_("Chinese"), "lang_ja": N_("Japanese"), "lang_en": N_("English"),
}
STRINGS.update(ADMIN_STRINGS)

CATALOG_STRINGS = {
    # The product picker, the thread's product cards, the contact panel's cart and orders (catalog_*.js)
    "product_search_empty": N_("No product matches."), "product_searching": N_("Searching…"),
    "product_no_price": N_("no {currency} price"), "product_out_of_stock": N_("out of stock"),
    "product_in_stock": N_("{count} in stock"),
    "product_chosen": N_("{count} chosen (at most {max})"),
    "product_too_many": N_("At most {max} products per message."),
    "product_send": N_("Send the products"),
    "product_choose_variant": N_("Choose {name}"), "product_prices_in": N_("Prices in {currency}"),
    "card_buttons": N_("Buttons"), "card_rows": N_("Products in the list"), "card_invoice": N_("Invoice"),
    "cart_title": N_("Open cart"), "cart_empty": N_("No open cart."), "cart_total": N_("Total: {total}"),
    "cart_line": N_("{quantity} × {title}"),
    "orders_title": N_("Orders"), "orders_none": N_("No orders yet."),
    "orders_error": N_("The orders could not be loaded."),
    "order_lines": N_("Items"), "order_timeline": N_("Timeline"), "order_show": N_("Order {number}"),
    "order_status_pending": N_("Pending payment"), "order_status_paid": N_("Paid"),
    "order_status_expired": N_("Expired"), "order_status_cancelled": N_("Cancelled"),
    "order_status_refunded": N_("Refunded"),
    "event_created": N_("Created"), "event_paid": N_("Paid"), "event_expired": N_("Expired"),
    "event_cancelled": N_("Cancelled"), "event_refunded": N_("Refunded"),
    "event_second_payment": N_("Paid a second time"), "event_oversold": N_("Oversold"),
    "event_paid_via": N_("Paid via {provider}"),
    # The catalog admin page (catalog_admin.js)
    "no_products": N_("No products yet."), "no_products_match": N_("No product matches this search."),
    "new_product": N_("New product"), "edit_product": N_("Edit {name}"),
    "product_saved": N_("Saved the product {name}."), "product_active": N_("On sale"),
    "product_draft": N_("Not on sale"), "variant_count": N_("{count} variants"),
    "variant_n": N_("Variant {n}"), "sku": N_("SKU"), "options_label": N_("Options (size: M, colour: Red)"),
    "stock": N_("Stock"), "price_in": N_("Price in {currency}"), "remove_variant": N_("Remove this variant"),
    "need_handle_title": N_("Give the product a handle and a title."), "need_sku": N_("Every variant needs a SKU."),
    "bad_options": N_("Write the options as name: value, separated by commas."),
    "bad_price": N_("{amount} is not a price in {currency}."),
    "too_fine_price": N_("{currency} prices have at most {places} decimal places."),
    "bad_stock": N_("Stock must be a whole number, 0 or more."),
    "import_choose_file": N_("Choose a CSV file first."),
    "import_need_currency": N_("Say which currency Shopify's prices are in."),
    "import_done": N_("{rows} rows read: {created} products created, {updated} updated, "
                      "{variants} variants created, {variants_updated} variants updated."),
    "import_row_error": N_("Row {row}: {message}"), "import_errors": N_("Rows that did not go in"),
    "import_no_errors": N_("Every row went in."), "importing": N_("Importing…"), "load_more": N_("Load more"),
}
STRINGS.update(CATALOG_STRINGS)


def for_locale(locale: str) -> dict[str, str]:
    """Every script string in this language."""
    translate = gettext_for(locale).gettext
    return {key: translate(text) for key, text in STRINGS.items()}
