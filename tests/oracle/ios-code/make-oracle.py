#!/usr/bin/env python3
"""LLVM's reading of the Objective-C metadata and symbols of the corpus executables, for tests/ipa/objc-oracle.test.ts.

  python3 tests/oracle/ios-code/make-oracle.py ../shared/corpus

For the main executable of every corpus IPA (CFBundleExecutable of the main bundle, found with Python's
zipfile and plistlib, as tests/oracle/ipa/make-oracle.py does) and its primary architecture (the first of
arm64e, arm64, arm64_32, armv7s, armv7k, armv7, x86_64, i386 that `llvm-objdump --universal-headers` lists),
writes the raw output of:
  <ipa>.objc.txt      llvm-objdump --macho --objc-meta-data            (class list -> class_ro_t names)
  <ipa>.strings.txt   llvm-objdump --macho --section=__TEXT,__objc_classname --section=__TEXT,__objc_methname
                      (+ --section=__TEXT,__cstring when the binary uses chained fixups: Swift class names)
  <ipa>.sections.txt  llvm-objdump --macho --section-headers           (section sizes: class-list length)
  <ipa>.defined.txt   llvm-nm --defined-only --extern-only --no-sort   (N_SECT | N_EXT symbols)
Each file starts with "# entry: <zip entry>" and "# arch: <arch>". LLVM 14 does not follow chained fixups
in --objc-meta-data; the test then checks the class names against the strings and the class count.
"""
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ['arm64e', 'arm64', 'arm64_32', 'armv7s', 'armv7k', 'armv7', 'x86_64', 'i386']


def _ipa_oracle():
    # The main bundle's executable is found exactly as the IPA oracle finds it: its functions, not a copy.
    spec = importlib.util.spec_from_file_location('ipa_oracle', os.path.join(HERE, '..', 'ipa', 'make-oracle.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


main_executable = _ipa_oracle().main_executable


def run(args):
    return subprocess.run(args, capture_output=True, text=True, errors='replace').stdout


def primary_arch(path):
    heads = run(['llvm-objdump', '--macho', '--universal-headers', path])
    archs = re.findall(r'^architecture (\S+)$', heads, re.M)
    if not archs:
        # Thin: the arch is in the header.
        hdr = run(['llvm-objdump', '--macho', '--private-header', path])
        m = re.search(r'^\s*MH_MAGIC\S*\s+(\S+)\s+(\S+)', hdr, re.M)
        names = {('ARM64', 'ALL'): 'arm64', ('ARM64', 'E'): 'arm64e', ('X86_64', 'ALL'): 'x86_64', ('ARM', 'V7'): 'armv7', ('I386', 'ALL'): 'i386'}
        return names.get((m.group(1), m.group(2))) if m else None
    for a in ORDER:
        if a in archs:
            return a
    return archs[0]


def main():
    corpus = os.path.abspath(sys.argv[1])
    for f in sorted(os.listdir(os.path.join(corpus, 'ipa'))):
        path = os.path.join(corpus, 'ipa', f)
        if not zipfile.is_zipfile(path):
            continue
        with zipfile.ZipFile(path) as z:
            exe = main_executable(z)
            if exe is None:
                continue
            data = z.read(exe)
        with tempfile.NamedTemporaryFile() as t:
            t.write(data)
            t.flush()
            arch = primary_arch(t.name)
            if arch is None:
                continue
            sel = ['--arch=' + arch]
            chained = 'LC_DYLD_CHAINED_FIXUPS' in run(['llvm-objdump', '--macho', '--private-headers'] + sel + [t.name])
            cstring = ['--section=__TEXT,__cstring'] if chained else []
            outputs = {
                'objc': run(['llvm-objdump', '--macho', '--objc-meta-data'] + sel + [t.name]),
                'strings': run(['llvm-objdump', '--macho', '--section=__TEXT,__objc_classname', '--section=__TEXT,__objc_methname']
                               + cstring + sel + [t.name]),
                'sections': run(['llvm-objdump', '--macho', '--section-headers'] + sel + [t.name]),
                'defined': run(['llvm-nm', '--defined-only', '--extern-only', '--no-sort'] + sel + [t.name]),
            }
            for kind, text in outputs.items():
                with open(os.path.join(HERE, f'{f}.{kind}.txt'), 'w') as fh:
                    fh.write(f'# entry: {exe}\n# arch: {arch}\n' + text.replace(t.name, 'EXE'))
    version = [line.strip() for line in run(['llvm-objdump', '--version']).splitlines() if 'version' in line][0]
    with open(os.path.join(HERE, 'VERSION.txt'), 'w') as fh:
        fh.write(version + '\n')


if __name__ == '__main__':
    main()
