// oracle.cc — the match-key table of extension/phone_match.c, checked against
// libphonenumber's metadata (the field's reference). Output, one line each (TSV):
//   case  input  expected_key
// for agreement.sql to compare with privacybee.phone_match_key(input). What
// libphonenumber says, and what follows for the key:
//  * Argentina: a valid mobile is +54 9 <N>, N ten digits, which libphonenumber writes
//    at home as "0<area> 15-<subscriber>"; +54 <N>, the form caller ID shows, is valid
//    and written "0<area> <subscriber>": the same area and subscriber, one line, so both
//    forms share the key +54<N>. (Compared as written, not by parsing the home form:
//    libphonenumber reads "011 1574-2371" as if its 15 were the mobile token.) A valid number of eleven national digits
//    starting with 9 that is not a mobile would have to keep its 9: such lines are
//    emitted with their own E.164 form as key (there are none; the check would show it).
//  * Mexico: libphonenumber reads +52 1 <N> as +52 <N> (the former mobile 1): one line,
//    key +52<N>, for every valid ten-digit N.
//  * every other region: each example number of each type is its own key.
// Random numbers come from a fixed seed, so a failure replays.
#include <phonenumbers/phonenumberutil.h>

#include <iostream>
#include <random>
#include <set>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

static const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();

static bool E164(const std::string& input, const std::string& region, std::string* out) {
  PhoneNumber n;
  if (util.Parse(input, region, &n) != PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsValidNumber(n))
    return false;
  util.Format(n, PhoneNumberUtil::E164, out);
  return true;
}

static void Emit(const char* what, const std::string& input, const std::string& key) {
  std::cout << what << '\t' << input << '\t' << key << '\n';
}

static std::string Digits(std::mt19937* rng, const char* first, int n) {
  std::string s(1, first[(*rng)() % std::char_traits<char>::length(first)]);
  while ((int) s.size() < n) s += char('0' + (*rng)() % 10);
  return s;
}

int main() {
  std::mt19937 rng(20261130);
  int ar = 0, mx = 0, ar9 = 0;

  // Argentina: mobiles and their national dialling without the 9
  for (int tries = 0; ar < 2000 && tries < 2000000; tries++) {
    std::string n = Digits(&rng, "123", 10), mobile, national, home;
    PhoneNumber p;
    if (!E164("+549" + n, "AR", &mobile)) continue;
    util.Parse(mobile, "AR", &p);
    if (util.GetNumberType(p) != PhoneNumberUtil::MOBILE) continue;
    util.Format(p, PhoneNumberUtil::NATIONAL, &national);
    size_t token = national.find(" 15-");
    if (token != std::string::npos) national.replace(token, 4, " ");
    std::string written;
    PhoneNumber q;
    if (E164("+54" + n, "AR", &home)) {
      util.Parse(home, "AR", &q);
      util.Format(q, PhoneNumberUtil::NATIONAL, &written);
    }
    if (token == std::string::npos || home != "+54" + n || written != national) {
      // libphonenumber reads the home dialling of this line elsewhere: keep both apart
      Emit("ar-mobile-unpaired", mobile, mobile);
      continue;
    }
    Emit("ar-mobile", mobile, home);
    Emit("ar-caller-id", home, home);
    ar++;
  }
  // Argentina: every valid eleven-digit national number starting with 9 is a mobile
  for (int i = 0; i < 200000; i++) {
    std::string e164;
    PhoneNumber p;
    if (!E164("+549" + Digits(&rng, "0123456789", 10), "AR", &e164)) continue;
    ar9++;
    util.Parse(e164, "AR", &p);
    if (util.GetNumberType(p) != PhoneNumberUtil::MOBILE) Emit("ar-9-not-mobile", e164, e164);
  }
  // Mexico: the former mobile 1
  for (int tries = 0; mx < 2000 && tries < 2000000; tries++) {
    std::string n = Digits(&rng, "23456789", 10), today, former;
    if (!E164("+52" + n, "MX", &today) || !E164("+521" + n, "MX", &former)) continue;
    if (former != today) {
      Emit("mx-former-unpaired", "+521" + n, "+521" + n);
      continue;
    }
    Emit("mx-former-mobile-1", "+521" + n, today);
    Emit("mx-today", today, today);
    mx++;
  }
  // every region's example numbers: their own key, outside the two variants
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  for (const std::string& region : regions)
    for (int t = PhoneNumberUtil::FIXED_LINE; t <= PhoneNumberUtil::VOICEMAIL; t++) {
      PhoneNumber p;
      std::string e164;
      if (!util.GetExampleNumberForType(region, PhoneNumberUtil::PhoneNumberType(t), &p))
        continue;
      util.Format(p, PhoneNumberUtil::E164, &e164);
      bool variant = (region == "AR" && e164.compare(0, 4, "+549") == 0 && e164.size() == 14) ||
                     (region == "MX" && e164.compare(0, 4, "+521") == 0 && e164.size() == 14);
      if (!variant) Emit("example", e164, e164);
    }
  std::cerr << "match-key oracle: " << ar << " Argentine mobiles paired, " << ar9
            << " valid +54 9 numbers typed, " << mx << " Mexican lines paired\n";
  return ar > 0 && mx > 0 && ar9 > 0 ? 0 : 1;
}
