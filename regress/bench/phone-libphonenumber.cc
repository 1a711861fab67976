// phone-libphonenumber.cc — make bench: libphonenumber's parse + E.164 format over the
// phone corpus inputs, repeated to N numbers; prints numbers per second.
// usage: phone-libphonenumber CORPUS.tsv N
#include <phonenumbers/phonenumberutil.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  std::vector<std::pair<std::string, std::string>> inputs;
  std::ifstream in(argv[1]);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string form, region, input, dialled;
    std::getline(fields, form, '\t');
    std::getline(fields, region, '\t');
    std::getline(fields, input, '\t');
    std::getline(fields, dialled, '\t');
    inputs.emplace_back(input, dialled);
  }
  const long n = std::stol(argv[2]);
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  long ok = 0;
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < n; i++) {
    const auto& [input, region] = inputs[i % inputs.size()];
    PhoneNumber number;
    std::string e164;
    if (util.Parse(input, region, &number) == PhoneNumberUtil::NO_PARSING_ERROR) {
      util.Format(number, PhoneNumberUtil::E164, &e164);
      ok += !e164.empty();
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << static_cast<long>(n / seconds) << " " << ok << "\n";
  return 0;
}
