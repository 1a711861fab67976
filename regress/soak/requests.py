"""requests.py DIR — make soak's data and request mix. Creates 200 members (20 contacts
each, a Buzz number), a service token, and prints the request lines soak.lua reads:
STATUS TOKEN METHOD PATH [BODYFILE [CONTENT-TYPE]]. Writes are idempotent (upserts by
external_id, a fixed message_id, a fixed CallSid), so the data stays the same size."""
import json
import os
import sys
import urllib.parse

import psycopg2

d = sys.argv[1]
db = psycopg2.connect("")
db.autocommit = True
cur = db.cursor()


def one(q, *args):
    cur.execute(q, args)
    return cur.fetchone()[0]


def body_file(name, content):
    path = os.path.join(d, "bodies", name)
    with open(path, "w") as f:
        f.write(content if isinstance(content, str) else json.dumps(content))
    return path


cur.execute("SELECT privacybee.add_buzz_numbers(ARRAY(SELECT '+1888555' || lpad(i::text, 4, '0') "
            "FROM generate_series(1, 300) i))")
service = one("SELECT privacybee.issue_token(NULL, '{buzz:lookup}')")
members = []
for i in range(200):
    uid = one("SELECT privacybee.create_member('Soak', %s, %s)", f"M{i}", f"+1 212 555 {i:04d}")
    token = one("SELECT privacybee.issue_token(%s, '{contacts:read,contacts:write,buzz}')", uid)
    contacts = [{"display_name": f"C{i}-{j}", "external_id": f"x{j}",
                 "phone_numbers": [f"+1 646 {i % 1000:03d} {j:04d}"], "emails": [f"c{j}@example.com"]}
                for j in range(20)]
    cur.execute("SELECT privacybee.sync_contacts(%s, %s)", (uid, json.dumps(contacts)))
    cur.execute("SELECT privacybee.api_heartbeat(%s, '', '{}', NULL, NULL)", (token,))
    buzz = one("SELECT e164 FROM privacybee.buzz_numbers WHERE user_id = %s", uid)
    cid = one("SELECT min(id) FROM privacybee.contacts WHERE user_id = %s", uid)
    members.append((uid, token, buzz, cid, i))

sync = body_file("sync.json", [{"display_name": f"Upserted {j}", "external_id": f"x{j}",
                                "phone_numbers": [f"+1 917 555 {j:04d}"]} for j in range(5)])
bad = body_file("bad.json", '[{"display_name": ')
update = body_file("update.json", {"display_name": "Renamed", "labels": ["soak"]})
FORM = "application/x-www-form-urlencoded"

for n, (uid, token, buzz, cid, i) in enumerate(members):
    other_cid = members[(n + 1) % len(members)][3]
    trusted = f"+1646{i % 1000:03d}0003"
    stranger = f"+1415555{i:04d}"
    lookup = "/apps/buzz/trust-lookup?" + urllib.parse.urlencode(
        {"number_code": "1", "number": buzz[2:], "inbound_code": "1"})
    form = body_file(f"lookup-{uid}.form", urllib.parse.urlencode(
        {"To": buzz, "From": stranger, "CallSid": f"CA-soak-{uid}", "CallerName": "Soak"}))
    activity = body_file(f"activity-{uid}.json", {
        "type": "chat_message", "sendable_type": "person", "sendable_id": uid,
        "receivable_type": "person", "receivable_id": members[(n + 1) % len(members)][0],
        "message": "ciphertext", "message_id": f"00000000-0000-4000-8000-{uid:012d}"})
    for line in (
        f"200 {token} GET /contacts?per_page=10&include=emails,phone_numbers",
        f"200 {token} GET /contacts/{cid}",
        f"404 {token} GET /contacts/{other_cid}",
        f"200 {token} PUT /contacts/{cid} {update}",
        f"200 {token} POST /contacts/sync {sync}",
        f"200 {token} GET /contacts/requests",
        f"200 {service} GET {lookup}&inbound={trusted[2:]}",
        f"200 {service} GET {lookup}&inbound={stranger[2:]}",
        f"200 {service} POST /apps/buzz/trust-lookup {form} {FORM}",
        f"200 {service} POST /apps/buzz/call-lookup {form} {FORM}",
        f"200 {token} GET /apps/buzz/heartbeat",
        f"200 {token} GET /apps/buzz/activity/0?limit=100",
        f"200 {token} POST /apps/buzz/activity {activity}",
        f"200 {token} GET /apps/buzz/blocked",
        f"400 {token} POST /contacts/sync {bad}",
        f"401 pb_bogus GET /contacts",
        f"404 {token} GET /nope",
        f"405 {token} DELETE /apps/buzz/heartbeat",
        f"415 {token} POST /contacts/sync {sync} text/plain",
    ):
        print(line)
