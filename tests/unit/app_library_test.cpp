// The I/O-free parts of loading an app library: what `--app` names, and finding the ABI stamp's
// section in an ELF file (on a small ELF image built here, cut at every length and corrupted:
// the reader must answer nullopt, never read outside the image).

#include <elf.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "asgi/server/app_library.hpp"

namespace {

using asgi::server::find_elf_section;
using asgi::server::parse_app_spec;

TEST(AppSpec, RegisteredNamesAndLibraries) {
  auto plain = parse_app_spec("hello");
  EXPECT_EQ(plain.library, "");
  EXPECT_EQ(plain.name, "hello");
  auto named = parse_app_spec("./build/libnotes.so:notes");
  EXPECT_EQ(named.library, "./build/libnotes.so");
  EXPECT_EQ(named.name, "notes");
  auto only = parse_app_spec("libnotes.so");
  EXPECT_EQ(only.library, "libnotes.so");
  EXPECT_EQ(only.name, "");
  auto versioned = parse_app_spec("/opt/apps/libnotes.so.1:notes");
  EXPECT_EQ(versioned.library, "/opt/apps/libnotes.so.1");
  EXPECT_EQ(versioned.name, "notes");
  auto colon_in_directory = parse_app_spec("/srv/a:b/libnotes.so");
  EXPECT_EQ(colon_in_directory.library, "/srv/a:b/libnotes.so");
  EXPECT_EQ(colon_in_directory.name, "");
}

// A minimal ELF64 image: header, then section contents, then four section headers (null,
// .shstrtab, .data, the stamp section).
std::string make_elf(std::string_view stamp) {
  std::string names = std::string("\0.shstrtab\0.data\0.asgiserver_abi\0", 33);
  std::string data = "payload";
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = ET_DYN;
  header.e_ehsize = sizeof(Elf64_Ehdr);
  header.e_shentsize = sizeof(Elf64_Shdr);
  header.e_shnum = 4;
  header.e_shstrndx = 1;
  std::uint64_t names_at = sizeof(Elf64_Ehdr);
  std::uint64_t data_at = names_at + names.size();
  std::uint64_t stamp_at = data_at + data.size();
  header.e_shoff = stamp_at + stamp.size();
  Elf64_Shdr sections[4]{};
  sections[1] = {1, SHT_STRTAB, 0, 0, names_at, names.size(), 0, 0, 1, 0};
  sections[2] = {11, SHT_PROGBITS, 0, 0, data_at, data.size(), 0, 0, 1, 0};
  sections[3] = {17, SHT_PROGBITS, 0, 0, stamp_at, stamp.size(), 0, 0, 1, 0};
  std::string image(reinterpret_cast<const char*>(&header), sizeof header);
  image += names + data + std::string(stamp);
  image.append(reinterpret_cast<const char*>(sections), sizeof sections);
  return image;
}

TEST(ElfSection, FindsTheStampSection) {
  std::string image = make_elf(std::string("asgiserver 0.1.0; x\0", 20));
  auto stamp = find_elf_section(image, ".asgiserver_abi");
  ASSERT_TRUE(stamp);
  EXPECT_EQ(stamp->substr(0, stamp->find('\0')), "asgiserver 0.1.0; x");
  EXPECT_EQ(find_elf_section(image, ".data"), "payload");
  EXPECT_FALSE(find_elf_section(image, ".missing"));
}

TEST(ElfSection, EveryTruncationIsRefusedWithoutReadingPastTheEnd) {
  std::string image = make_elf("stamp");
  for (std::size_t size = 0; size < image.size(); ++size) {
    // A copy of exactly `size` bytes, so AddressSanitizer catches any read past it.
    std::string cut = image.substr(0, size);
    EXPECT_FALSE(find_elf_section(cut, ".asgiserver_abi")) << "cut at " << size;
  }
}

TEST(ElfSection, CorruptOffsetsAndNotElfAreRefused) {
  EXPECT_FALSE(find_elf_section("#!/bin/sh\necho not a library\n", ".asgiserver_abi"));
  std::string image = make_elf("stamp");
  auto* header = reinterpret_cast<Elf64_Ehdr*>(image.data());
  header->e_shoff = ~std::uint64_t{0} - 8;  // wraps around when added to
  EXPECT_FALSE(find_elf_section(image, ".asgiserver_abi"));
  image = make_elf("stamp");
  header = reinterpret_cast<Elf64_Ehdr*>(image.data());
  header->e_shstrndx = 200;
  EXPECT_FALSE(find_elf_section(image, ".asgiserver_abi"));
  image = make_elf("stamp");  // the last section header's size (copied: it is not aligned)
  std::uint64_t huge = 1u << 30;
  std::memcpy(image.data() + image.size() - sizeof(Elf64_Shdr) + offsetof(Elf64_Shdr, sh_size),
              &huge, sizeof huge);
  EXPECT_FALSE(find_elf_section(image, ".asgiserver_abi"));
  image = make_elf("stamp");
  header = reinterpret_cast<Elf64_Ehdr*>(image.data());
  header->e_ident[EI_CLASS] = ELFCLASS32;
  EXPECT_FALSE(find_elf_section(image, ".asgiserver_abi"));
}

}  // namespace
