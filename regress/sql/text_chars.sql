-- The characters text may hold (extension/text_chars.h), one rule: no control character
-- but TAB, LF and CR (C0, DEL, C1 refused), no U+FFFE / U+FFFF; checked where text enters,
-- replaced by U+FFFD where XML and vCards are written.
\set SHOW_CONTEXT never

-- what is refused, and what is text (NUL cannot be in text at all)
SELECT to_hex(c) AS code_point, privacybee.text_problem('a' || chr(c) || 'b') AS problem
  FROM unnest(ARRAY[1, 8, 9, 10, 11, 12, 13, 27, 31, 32, 126, 127, 128, 133, 159, 160,
                    55295, 57344, 65533, 65534, 65535, 65536, 1114111]) AS c;
-- the first one is named
SELECT privacybee.text_problem(E'ok\u0085 then \u0001');
SELECT privacybee.text_problem(''), privacybee.text_problem(NULL) IS NULL AS null_is_null;

-- check_text: the text, or a 400 (PT400) naming the field with the SPEC details
SELECT privacybee.check_text('name', E'tab\tline\nreturn\r');
SELECT privacybee.check_text('name', E'R&D \u0001');
\set VERBOSITY sqlstate
SELECT privacybee.check_text('name', E'R&D \u0001');
\set VERBOSITY default

-- clean_text: each refused character is one U+FFFD, everything else as it was
SELECT privacybee.clean_text(E'a\u0001b\u001bc\u007fd\u0085e\uFFFEf\uFFFFg\th\u00e9') =
       E'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFDg\th\u00e9' AS cleaned;
SELECT privacybee.clean_text(E'\u0001\u0002') = E'\uFFFD\uFFFD' AS each_one;

-- the members' and companies' SQL functions refuse, naming the field, and write nothing
SELECT privacybee.create_company(E'R&D \u0001', 'ctl-co');
SELECT privacybee.create_company('R&D', 'ctl-co', url => E'https://x.example/\u001b');
SELECT privacybee.create_member(E'Ada\u0008', 'Lovelace');
SELECT privacybee.create_member('Ada', 'Lovelace', middle_name => E'\uFFFF');
SELECT count(*) FROM privacybee.companies WHERE slug = 'ctl-co';
-- an OAuth client's name, shown to members
SELECT privacybee.register_oauth_client(E'App\u001b', '{https://app.example/cb}', '{contacts.read}');

-- a contact's text (sync_contacts, the contact validators): every field named by its path
SELECT privacybee.create_member('Text', 'Chars') AS uid \gset
SELECT privacybee.sync_contacts(:uid, jsonb_build_array(
           jsonb_build_object('display_name', E'Ctl\u0001Char'),
           jsonb_build_object('display_name', 'ok', 'details',
                              jsonb_build_object('notes', E'x\u001by',
                                                 'name', jsonb_build_object('given', E'\u007f')))));
SELECT count(*) FROM privacybee.contacts WHERE user_id = :uid;

-- a vCard: refused as a whole, naming the property and its line
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ctl\r\nFN:Dav\u0001Ctl\r\nEND:VCARD\r\n');
SELECT privacybee.vcard_parse(E'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:ok\r\nNOTE:long\r\n  fold\u001b\r\nEND:VCARD\r\n');
