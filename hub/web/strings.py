"""The strings hub's scripts show, translated on the server into the agent's language.

The page carries them as JSON (`<script type="application/json" id="hub-strings">`), with the strings of
flows' and catalog's scripts (their `web/strings.py`, merged by the web shell); the scripts look them up
with `t(key, {name: value})`, which fills in `{name}` placeholders.
"""

from __future__ import annotations

from hub.web.i18n import N_

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
    "may_not_be_sent": N_("May not have been sent: the provider never confirmed it. Resend it only if the "
                          "customer does not have it."),
    "may_not_be_sent_resent": N_("May not have been sent; sent again as a new message."),
    "resend": N_("Resend"),
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
    "bot_answers": N_("The bot answers"), "person_answers": N_("A person answers"),
    "hand_back_to_bot": N_("Hand back to the bot"), "take_over_from_bot": N_("Take over from the bot"),
    "not_found": N_("Not found"),
    "not_found_detail": N_("This conversation does not exist or is not one of your teams'."),
    "error": N_("Something went wrong"), "live": N_("Live"), "reconnecting": N_("Reconnecting…"),
    "visitor_typing": N_("typing…"),
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

# The thread's product cards (thread.js); the picker, cart and orders are catalog's (catalog/web/strings.py)
STRINGS.update({"card_buttons": N_("Buttons"), "card_rows": N_("Products in the list"), "card_invoice": N_("Invoice")})


CONTACT_PREFERENCE_STRINGS = {
    "contact_prefs": N_("Language and time zone"),
    "contact_prefs_hint": N_("Product cards, carts, payment pages and quiet hours follow these."),
    "contact_locale_label": N_("Customer's language"),
    "contact_locale_auto": N_("Automatic ({value})"),
    "contact_tz_label": N_("Customer's time zone"),
    "contact_tz_auto": N_("Automatic: {value}"),
    "contact_tz_unknown": N_("Automatic: the shop's"),
}
STRINGS.update(CONTACT_PREFERENCE_STRINGS)

# Refusals the inbox shows (api.js: a stable code from the X-Hub-Error header, else the HTTP status) and the
# composer's consent notice (composer.js)
STAFF_STRINGS = {
    "err_opted_out": N_("The customer replied STOP on this channel: nothing can be sent until they reply START."),
    "err_window_closed": N_("The customer's last message is too old: this channel only accepts an approved "
                            "template now."),
    "err_refused": N_("Hub will not send this reply."),
    "err_snooze_past": N_("Choose a moment in the future to snooze until."),
    "err_bad_tag": N_("A tag has 1 to 100 characters and no /."),
    "err_empty_note": N_("Write something in the note first."),
    "err_fields": N_("Check these fields: {fields}"),
    "err_refused_reason": N_("Hub refused this: {reason}"),
    "err_400": N_("Hub could not read this request."), "err_401": N_("Sign in again."),
    "err_403": N_("You may not do this."),
    "err_404": N_("Not found: it was deleted, or it is not one of your teams'."),
    "err_409": N_("This changed meanwhile: reload and try again."),
    "err_413": N_("This is too large."), "err_422": N_("Hub could not accept this."),
    "err_429": N_("Too many tries: wait a moment and try again."),
    "err_500": N_("Hub had a problem: try again in a moment."),
    "err_network": N_("Hub cannot be reached: check the connection."),
    "consent_blocked": N_("The customer replied STOP on {channel}: nothing can be sent until they reply START. "
                          "You can still leave a private note."),
    "consent_marketing_off": N_("The customer opted out of marketing on this channel: replies to them still go, "
                                "broadcasts do not."),
    # staff.js: presence, notifications, undo, the first-response countdown
    "presence_online": N_("Online"), "presence_away": N_("Away"),
    "presence_online_hint": N_("You are online: new conversations may be assigned to you. Click to go away."),
    "presence_away_hint": N_("You are away: nothing new is assigned to you. Click to go online."),
    "notify_on": N_("Notifications on"), "notify_off": N_("Notifications off"),
    "notify_title": N_("New message from {name}"),
    "resolved_undo": N_("Resolved."),
    "due_in": N_("First reply due in {amount}"), "due_late": N_("First reply overdue by {amount}"),
    "due_minutes": N_("{minutes} min"), "due_hours": N_("{hours} h {minutes} min"),
    "bulk_pick": N_("Select {name}"), "bulk_count": N_("{count} selected"),
    "bulk_done": N_("Done for {count} conversations."),
    "bulk_failed": N_("{count} conversations were not changed: {reason}"),
    # the list's search scope and matches, the thread's activity lines, where each tag came from
    "searching_in": N_("Searching in:"),
    "all_statuses": N_("All statuses"),
    "search_match": N_("Matching message"),
    "act_tagged": N_("Tagged {tag}"),
    "act_contact_tagged": N_("Customer tagged {tag}"),
    "act_untagged": N_("Tag {tag} removed"),
    "act_assigned": N_("Assigned to {assignee}"),
    "act_reassigned": N_("Reassigned to {assignee}"),
    "act_unassigned": N_("Unassigned"),
    "act_resolved": N_("Resolved"),
    "act_reopened": N_("Reopened"),
    "act_pending": N_("Set to pending"),
    "act_snoozed": N_("Snoozed"),
    "by_agent": N_("by {name}"),
    "by_rule": N_("by rule {rule}"),
    "by_classifier": N_("by the classifier (confidence {confidence})"),
    "by_policy": N_("by the assignment policy: {policy}"),
    "by_customer": N_("the customer wrote again"),
    "by_system": N_("automatically"),
    "tag_by": N_("{tag} — {source}"),
    "activity_log": N_("Activity"),
    "act_team_changed": N_("Handed to team {team}"),
    "act_team_back": N_("Back to the channel's team"),
    "act_to_bot": N_("Handed back to the bot"), "act_to_human": N_("A person answers from now on"),
    "by_bot": N_("by the bot"),
    "team_of_channel": N_("Channel's team"),
    "hand_to_team": N_("Team handling this conversation"),
}
STRINGS.update(STAFF_STRINGS)
