"""Contact photos (SPEC §9) through nginx: PUT, GET (HEAD), DELETE /contacts/<id>/photo;
the type by magic bytes and header, not by what the client says; the body limit of the
route (the front-end's 5 MiB, nginx's below what any other route allows); ETag,
If-None-Match and If-Match; another member's contact; nothing written by a refusal."""
import hashlib
import struct
import zlib

from harness import ApiTest, member, sql, sql1

# a 3x2 PNG, a 640x480 JPEG header, a WebP (VP8L) header: what the front-end and the
# database read is the header; the bytes are stored and served as they came
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000030000000208020000001216f14d0000000b"
                    "49444154789c6360c00400001400017dfe1eee0000000049454e44ae426082")
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffc000110801e0028003012200021101"
                     "031101ffd9")
WEBP = bytes.fromhex("5249464616000000574542505650384c0a0000002f2bc131000000000000")
MiB = 1024 * 1024


def png_of(size):
    """PNG with a private chunk of zeros before its IEND, size bytes in all."""
    pad = size - len(PNG) - 12
    return (PNG[:-12] + struct.pack(">I", pad) + b"prVt" + bytes(pad)
            + struct.pack(">I", zlib.crc32(b"prVt" + bytes(pad))) + PNG[-12:])


class TestPhotos(ApiTest):
    def setUp(self):
        super().setUp()
        self.uid, self.token = member()
        r = self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "Pic"}])
        self.contact = r.json[0]
        self.path = f"/contacts/{self.contact['id']}/photo"

    def put(self, data, ctype="image/png", token=None, headers=None, path=None):
        return self.req("PUT", path or self.path, token or self.token, raw=data, ctype=ctype,
                        headers=headers)

    def state(self):
        return (sql("SELECT content_type, width, height, data, etag FROM privacybee.contact_photos "
                    "WHERE user_id = %s", self.uid),
                sql("SELECT id, version, profile_icon FROM privacybee.contacts WHERE user_id = %s",
                    self.uid))

    def test_each_type_is_stored_and_served_as_it_came(self):
        for data, ctype in ((PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")):
            with self.subTest(ctype=ctype):
                r = self.put(data, ctype)
                self.assertStatus(r, 200)
                self.assertEqual(r.json["profile_icon"], self.path)
                self.assertEqual(r.json["id"], self.contact["id"])
                etag = r.header("ETag")
                self.assertEqual(etag, '"%s"' % hashlib.sha256(data).hexdigest()[:32])
                g = self.req("GET", self.path, self.token)
                self.assertStatus(g, 200)
                self.assertEqual((g.data, g.header("Content-Type"), g.header("ETag")),
                                 (data, ctype, etag))
                self.assertEqual(self.req("GET", f"/contacts/{self.contact['id']}", self.token)
                                 .json["profile_icon"], self.path)
        self.assertEqual(sql1("SELECT width || 'x' || height FROM privacybee.contact_photos "
                              "WHERE user_id = %s", self.uid), "300x200")  # the WebP's
        self.put(PNG)
        self.assertEqual(sql1("SELECT width || 'x' || height FROM privacybee.contact_photos "
                              "WHERE user_id = %s", self.uid), "3x2")

    def test_etag_if_none_match_head_and_if_match(self):
        etag = self.put(PNG).header("ETag")
        r = self.req("GET", self.path, self.token, headers={"If-None-Match": etag})
        self.assertStatus(r, 304)
        self.assertEqual(r.header("ETag"), etag)
        self.assertStatus(self.req("GET", self.path, self.token, headers={"If-None-Match": '"other"'}), 200)
        h = self.req("HEAD", self.path, self.token)
        self.assertStatus(h, 200)
        self.assertEqual((h.header("Content-Type"), h.header("Content-Length"), h.data),
                         ("image/png", str(len(PNG)), b""))
        before = self.state()
        self.assertError(self.put(JPEG, "image/jpeg", headers={"If-Match": '"stale"'}), 412)
        self.assertError(self.req("DELETE", self.path, self.token, headers={"If-Match": '"stale"'}), 412)
        self.assertEqual(self.state(), before)
        self.assertStatus(self.put(JPEG, "image/jpeg", headers={"If-Match": etag}), 200)

    def test_round_trip_get_then_put_back_unchanged(self):
        self.put(WEBP, "image/webp")
        g = self.req("GET", self.path, self.token)
        before = self.state()
        r = self.put(g.data, g.header("Content-Type"), headers={"If-Match": g.header("ETag")})
        self.assertStatus(r, 200)
        self.assertEqual(r.header("ETag"), g.header("ETag"))
        self.assertEqual(self.state()[0], before[0])

    def test_delete_clears_the_icon_and_moves_the_contact(self):
        self.put(PNG)
        version = sql1("SELECT version FROM privacybee.contacts WHERE user_id = %s", self.uid)
        r = self.req("DELETE", self.path, self.token)
        self.assertStatus(r, 200)
        self.assertIsNone(r.json["profile_icon"])
        self.assertGreater(sql1("SELECT version FROM privacybee.contacts WHERE user_id = %s", self.uid),
                           version)
        self.assertError(self.req("GET", self.path, self.token), 404)
        self.assertError(self.req("DELETE", self.path, self.token), 404)
        self.assertEqual(sql1("SELECT count(*) FROM privacybee.contact_photos WHERE user_id = %s",
                              self.uid), 0)

    def test_the_type_is_what_the_bytes_are_and_one_of_three(self):
        self.put(PNG)
        before = self.state()
        for data, ctype, status in (
                (PNG, "image/jpeg", 400),            # says JPEG, is PNG
                (b"GIF89a" + bytes(20), "image/png", 400),
                (PNG[:20], "image/png", 400),        # a header cut short
                (b"\x89PNG\r\n\x1a\n" + bytes(30), "image/png", 400),
                (b"GIF89a" + bytes(20), "image/gif", 415),
                (PNG, "application/json", 415),
                (PNG, "application/octet-stream", 415),
                (PNG, None, 415)):
            with self.subTest(ctype=ctype, data=data[:12]):
                r = self.put(data, ctype)
                err = self.assertError(r, status)
                if status == 400:
                    self.assertEqual([d["field"] for d in err["details"]], ["body"])
        self.assertEqual(self.state(), before)
        # a parameter of the type is no other type
        self.assertStatus(self.put(JPEG, "image/jpeg; charset=binary"), 200)

    def test_an_empty_body_is_400(self):
        before = self.state()
        self.assertError(self.put(b""), 400)
        self.assertEqual(self.state(), before)

    def test_the_body_limit_is_5_mib_and_nginx_stops_far_larger_ones(self):
        before = self.state()
        # the front-end (and the database) refuse past 5 MiB
        r = self.put(png_of(5 * MiB + 1))
        self.assertError(r, 413)
        # nginx refuses before the front-end sees it
        r = self.put(png_of(11 * MiB))
        self.assertEqual(r.status, 413)
        self.assertEqual(self.state(), before)
        # 5 MiB exactly is a photo
        r = self.put(png_of(5 * MiB))
        self.assertStatus(r, 200)
        self.assertEqual(len(self.req("GET", self.path, self.token).data), 5 * MiB)
        # other routes keep their own limit
        r = self.req("POST", "/contacts/sync", self.token, ctype="application/json",
                     raw=b'[{"display_name": "' + b"x" * (2 * MiB) + b'"}]')
        self.assertEqual(r.status, 413)

    def test_another_members_contact_is_404_and_untouched(self):
        self.put(PNG)
        before = self.state()
        _, other = member()
        self.assertError(self.put(JPEG, "image/jpeg", token=other), 404)
        self.assertError(self.req("GET", self.path, other), 404)
        self.assertError(self.req("DELETE", self.path, other), 404)
        self.assertEqual(self.state(), before)
        # nor a contact of nobody's, nor one without a photo
        self.assertError(self.put(PNG, path="/contacts/999999999999/photo"), 404)
        c = self.req("POST", "/contacts/sync", self.token, body=[{"display_name": "No pic"}]).json[0]
        self.assertError(self.req("GET", f"/contacts/{c['id']}/photo", self.token), 404)
