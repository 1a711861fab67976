// corpus.cc — the phone corpus: libphonenumber's example numbers of every region and
// type, written the ways people and devices write them (SPEC §3: punctuation, prefixes,
// any script's digits, Unicode dashes and spaces, bidirectional marks, labels around
// the number, tel: URIs, keypad letters), plus impossible numbers, each with what
// libphonenumber (the reference) makes of it. Output, one line each (TSV):
//   form  region  input  default_region  expected
// expected: the E.164 form of a valid number, \N for an impossible one (or one that does
// not parse), ? for a possible but invalid one (not counted: any answer agrees).
#include <phonenumbers/phonenumberutil.h>

#include <iostream>
#include <random>
#include <set>
#include <string>
#include <vector>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

static const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();

static std::string Expected(const std::string& input, const std::string& region) {
  PhoneNumber n;
  if (util.Parse(input, region, &n) != PhoneNumberUtil::NO_PARSING_ERROR) return "\\N";
  if (!util.IsPossibleNumber(n)) return "\\N";
  if (!util.IsValidNumber(n)) return "?";
  std::string e164;
  util.Format(n, PhoneNumberUtil::E164, &e164);
  return e164;
}

// COPY's text format: backslash, tab, newline and carriage return escaped
static std::string CopyText(const std::string& s) {
  std::string out;
  for (char c : s)
    out += c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : std::string(1, c);
  return out;
}

static void Emit(const char* form, const std::string& region, const std::string& input,
                 const std::string& default_region) {
  std::cout << form << '\t' << region << '\t' << CopyText(input) << '\t' << default_region
            << '\t' << Expected(input, default_region) << '\n';
}

// A code point in UTF-8.
static std::string U(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

// s with its ASCII digits written in the script whose zero is `zero`.
static std::string Digits(const std::string& s, char32_t zero) {
  std::string out;
  for (char c : s) out += c >= '0' && c <= '9' ? U(zero + (c - '0')) : std::string(1, c);
  return out;
}

// s with every space and dash replaced, in turn, by one of `with`.
static std::string Separators(const std::string& s, const std::vector<char32_t>& with,
                              size_t turn) {
  std::string out;
  for (char c : s) out += c == ' ' || c == '-' ? U(with[turn++ % with.size()]) : std::string(1, c);
  return out;
}

// The full-width form of s (U+FF01..U+FF5E for ASCII '!'..'~', the ideographic space).
static std::string FullWidth(const std::string& s) {
  std::string out;
  for (char c : s) out += c == ' ' ? U(0x3000) : c > ' ' && c <= '~' ? U(0xFF01 + (c - '!')) : std::string(1, c);
  return out;
}

// The digits 2-9 at the end of s written as letters of the keypad (ITU E.161), at most
// seven as in 1-800-FLOWERS; "" when fewer than three can be (libphonenumber reads
// letters as digits only from three letters on).
static std::string Keypad(const std::string& s, size_t turn) {
  static const char* const keys[] = {"", "", "ABC", "DEF", "GHI", "JKL", "MNO", "PQRS", "TUV", "WXYZ"};
  std::string out = s;
  int letters = 0;
  for (size_t i = out.size(); i-- > 0 && letters < 7;) {
    char c = out[i];
    if (c == ' ' || c == '-') continue;
    if (c < '2' || c > '9') break;
    const std::string key = keys[c - '0'];
    out[i] = key[(turn + i) % key.size()];
    letters++;
  }
  return letters >= 3 ? out : "";
}

// The number as people and devices write it beyond plain punctuation (SPEC §3): the
// national form where the number is geographic, the international one otherwise, then
// transformed; libphonenumber's reading of the result is the expected value.
static void WrittenForms(const PhoneNumber& n, const std::string& region, bool geographic,
                         size_t turn) {
  const std::string home = geographic ? region : "US";
  std::string e164, intl, local, nsn, rfc;
  util.Format(n, PhoneNumberUtil::E164, &e164);
  util.Format(n, PhoneNumberUtil::INTERNATIONAL, &intl);
  util.Format(n, PhoneNumberUtil::RFC3966, &rfc);
  util.GetNationalSignificantNumber(n, &nsn);
  if (geographic)
    util.Format(n, PhoneNumberUtil::NATIONAL, &local);
  else
    local = intl;
  const std::string cc = std::to_string(n.country_code());

  // copied from an iPhone: LEFT-TO-RIGHT EMBEDDING ... POP DIRECTIONAL FORMATTING around
  // the number, no-break spaces and non-breaking hyphens in it
  Emit("bidi_copied", region,
       U(0x202A) + Separators(intl, {0x00A0, 0x2011}, 0) + U(0x202C), home);
  // isolates and marks, as right-to-left text around a number leaves them
  Emit("bidi_isolated", region, U(0x2068) + local + U(0x2069), home);
  Emit("bidi_marked", region, U(0x200F) + U(0x200E) + e164 + U(0x200E), home);

  // digits of other scripts
  Emit("fullwidth", region, FullWidth(intl), home);
  Emit("arabic_indic", region, Digits(local, 0x0660), home);
  Emit("persian", region, U(0x200E) + Digits(intl, 0x06F0), home);
  static const char32_t zeros[] = {0x0966, 0x09E6, 0x0E50, 0x1040, 0x07C0, 0x0F20, 0x1D7CE,
                                   0x1D7EC, 0x0AE6, 0x0BE6, 0x0C66, 0x0D66, 0x17E0, 0x1810};
  Emit("other_digits", region, Digits(intl, zeros[turn % (sizeof(zeros) / sizeof(zeros[0]))]), home);

  // every dash and space libphonenumber accepts, and some it does not
  Emit("unicode_dashes", region,
       Separators(intl, {0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0x30FC, 0xFF0D}, turn),
       home);
  Emit("unicode_spaces", region,
       Separators(local, {0x00A0, 0x3000, 0x200B, 0x2060, 0x00AD}, turn), home);
  Emit("unaccepted_spaces", region, Separators(intl, {0x202F, 0x2009, 0x2007, 0xFEFF}, turn), home);

  // text around the number
  static const char* const before[] = {"Tel: ", "Phone: ", "Mobile: ", "tel. ", "T ",
                                       "\xE2\x98\x8E ", "Tél. : ", "Telefon: "};
  Emit("label_before", region, before[turn % 8] + local, home);
  static const char* const after[] = {" (mobile)", " (m)", " (cell)", " home", " - work", " *"};
  Emit("label_after", region, intl + after[turn % 6], home);

  // extensions, every way libphonenumber spells them, and a second number after "/ x"
  static const char* const ext[] = {" ext. 42", " x42", " #42", ",,42", ";42", ", 42",
                                    " \xD0\xB4\xD0\xBE\xD0\xB1. 42", " extensi\xC3\xB3n 42",
                                    " \xEF\xBD\x85\xEF\xBD\x98\xEF\xBD\x94 42", " anexo 42",
                                    " - 42#", " EXT: 42", " int 42", ";ext=42"};
  Emit("extension_labels", region, local + ext[turn % 14], home);
  Emit("second_number", region, local + " x302/x2303", home);

  // RFC 3966 tel: URIs (vCard 4 writes a TEL as one)
  Emit("tel_uri", region, rfc, home);
  Emit("tel_uri_ext", region, rfc + ";ext=123", home);
  Emit("tel_context", region, "tel:" + nsn + ";phone-context=+" + cc, "ZZ");
  Emit("tel_context_domain", region, rfc + ";phone-context=example.com;isub=1234", home);

  // letters on a keypad, in the national part of the international form
  const size_t national_part = intl.find(' ');
  const std::string vanity = Keypad(intl.substr(national_part), turn);
  if (!vanity.empty()) Emit("keypad", region, intl.substr(0, national_part) + vanity, home);
}

// The number written every way we accept, dialled from its own region (national
// forms) and from abroad (IDD forms).
static void Variants(const PhoneNumber& n, const std::string& region, bool geographic,
                     size_t turn) {
  std::string s;
  const std::string home = geographic ? region : "US";
  util.Format(n, PhoneNumberUtil::E164, &s);
  Emit("e164", region, s, home);
  util.Format(n, PhoneNumberUtil::INTERNATIONAL, &s);
  Emit("international", region, s, home);
  for (char& c : s)
    if (c == ' ' || c == '-') c = '.';
  Emit("dotted", region, s, home);
  const std::string from00 = n.country_code() == 49 ? "FR" : "DE";
  util.FormatOutOfCountryCallingNumber(n, from00, &s);
  Emit("idd_00", region, s, from00);
  const std::string from011 = n.country_code() == 1 ? "GB" : "US";
  util.FormatOutOfCountryCallingNumber(n, from011, &s);
  Emit(n.country_code() == 1 ? "idd_00" : "idd_011", region, s, from011);
  if (geographic) {
    util.Format(n, PhoneNumberUtil::NATIONAL, &s);
    Emit("national", region, s, region);
    Emit("extension", region, s + " ext. 42", region);
    s.clear();  // GetNationalSignificantNumber appends
    util.GetNationalSignificantNumber(n, &s);
    Emit("digits", region, s, region);
  }
  WrittenForms(n, region, geographic, turn);
  // impossible: shortened until too short, lengthened until too long
  std::string nsn;
  util.GetNationalSignificantNumber(n, &nsn);
  const std::string cc = "+" + std::to_string(n.country_code());
  for (std::string shorter = nsn; shorter.size() > 1;) {
    shorter.pop_back();
    PhoneNumber p;
    if (util.Parse(cc + shorter, "ZZ", &p) != PhoneNumberUtil::NO_PARSING_ERROR ||
        util.IsPossibleNumberWithReason(p) == PhoneNumberUtil::TOO_SHORT) {
      Emit("too_short", region, cc + shorter, home);
      break;
    }
  }
  for (std::string longer = nsn; longer.size() < 20;) {
    longer.push_back('5');
    PhoneNumber p;
    if (util.Parse(cc + longer, "ZZ", &p) != PhoneNumberUtil::NO_PARSING_ERROR ||
        util.IsPossibleNumberWithReason(p) == PhoneNumberUtil::TOO_LONG) {
      Emit("too_long", region, cc + longer, home);
      break;
    }
  }
}

// Hostile input: example numbers with pieces of every syntax the reading knows (labels,
// URI parameters, extension labels, marks, controls, other scripts' digits) put before,
// inside and after them, and strings made of such pieces alone; dialled in the US, in a
// random region or in none. A fixed seed and the standard's mt19937 make it the same
// every run.
static void Hostile(const std::vector<std::string>& numbers, const std::vector<std::string>& regions) {
  static const char* const pieces[] = {
      "+", "+", "\xEF\xBC\x8B", " ", " ", "-", ".", "(", ")", "/", "\\", "x", "X", "#",
      "\xEF\xBC\x83", ",", ",,", ";", ":", "*", "~", "\xEF\xBD\x9E", "ext", "EXT", "ext.",
      "extn", "extension", "extensi\xC3\xB3n", "extensio\xCC\x81n", "anexo", "int",
      "\xEF\xBD\x98\xEF\xBD\x94", "\xD0\xB4\xD0\xBE\xD0\xB1", "\xD0\x94\xD0\x9E\xD0\x91",
      "tel:", "TEL:", ";ext=", ";phone-context=", ";phone-context=+1", ";phone-context=+44",
      ";phone-context=example.com", ";isub=", "tel:+", "a", "b", "K", "\xC5\xBF",
      "\xE2\x84\xAA", "mobile", "Tel: ", "(mobile)", "FLOWERS", "\xC3\xB3", "\xC3\x9F", "\t",
      "\n", "\r", "\x01", "\xC2\xA0", "\xC2\xAD", "\xE2\x80\x8B", "\xE2\x81\xA0",
      "\xE3\x80\x80", "\xE2\x80\x8E", "\xE2\x80\x8F", "\xE2\x80\xAA", "\xE2\x80\xAC",
      "\xE2\x81\xA6", "\xE2\x81\xA9", "\xE2\x80\x90", "\xE2\x80\x94", "\xE2\x88\x92",
      "\xE3\x83\xBC", "\xEF\xBC\x8D", "\xEF\xBC\x8E", "\xEF\xBC\x88", "\xE2\x81\x93",
      "\xE2\x80\xAF", "\xEF\xBB\xBF", "\xF0\x9F\x93\x9E", "\xC2\xB2", "\xE2\x85\xA0",
      "0", "1", "00", "011", "0011", "9", "15"};
  static const char32_t zeros[] = {0x30, 0x30, 0x30, 0x660, 0x6F0, 0xFF10, 0x966, 0x1D7CE, 0xE50};
  const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
  const size_t nzeros = sizeof(zeros) / sizeof(zeros[0]);
  std::mt19937 rng(20261130);
  for (int i = 0; i < 4000; i++) {
    std::string in;
    if (rng() % 4 == 0) {
      for (int k = 1 + rng() % 12; k > 0; k--) {
        if (rng() % 2) {
          const char32_t zero = zeros[rng() % nzeros];
          for (int d = 1 + rng() % 5; d > 0; d--) in += U(zero + rng() % 10);
        } else {
          in += pieces[rng() % npieces];
        }
      }
    } else {
      std::string number = Digits(numbers[rng() % numbers.size()], zeros[rng() % nzeros]);
      std::string before, after;
      for (int e = 1 + rng() % 3; e > 0; e--) {
        std::string piece = pieces[rng() % npieces];
        if (rng() % 3 == 0)
          for (int d = 1 + rng() % 4; d > 0; d--) piece += static_cast<char>('0' + rng() % 10);
        const unsigned where = rng() % 3;
        if (where == 0) {
          before = piece + before;
        } else if (where == 1) {
          after += piece;
        } else {
          size_t at = rng() % (number.size() + 1);
          while (at < number.size() && (number[at] & 0xC0) == 0x80) at++;  // not inside a character
          number.insert(at, piece);
        }
      }
      in = before + number + after;
    }
    const unsigned dial = rng() % 10;
    const std::string region = dial < 5 ? "US" : dial < 8 ? regions[rng() % regions.size()] : "ZZ";
    Emit("hostile", region, in, region);
  }
}

int main() {
  size_t turn = 0;  // rotates the characters, labels and scripts from number to number
  std::set<std::string> regions;
  std::vector<std::string> examples;  // every region's example number, three ways
  util.GetSupportedRegions(&regions);
  for (const std::string& region : regions) {
    std::set<PhoneNumberUtil::PhoneNumberType> types;
    util.GetSupportedTypesForRegion(region, &types);
    for (PhoneNumberUtil::PhoneNumberType type : types) {
      PhoneNumber n;
      if (util.GetExampleNumberForType(region, type, &n)) Variants(n, region, true, turn++);
    }
    PhoneNumber n;
    if (util.GetExampleNumber(region, &n)) {
      for (PhoneNumberUtil::PhoneNumberFormat format :
           {PhoneNumberUtil::E164, PhoneNumberUtil::INTERNATIONAL, PhoneNumberUtil::NATIONAL}) {
        std::string s;
        util.Format(n, format, &s);
        examples.push_back(s);
      }
    }
  }
  std::set<int> codes;
  util.GetSupportedGlobalNetworkCallingCodes(&codes);
  for (int code : codes) {
    PhoneNumber n;
    if (util.GetExampleNumberForNonGeoEntity(code, &n)) Variants(n, "001", false, turn++);
  }
  Hostile(examples, std::vector<std::string>(regions.begin(), regions.end()));
  return 0;
}
