#!/bin/sh
# gpg -v on a throwaway homedir: make two keys, sign, verify a good and a tampered file,
# encrypt, decrypt, decrypt for a deleted key, import twice, export, a missing file.
# All of gpg's stderr goes to the log; stdout is discarded.
export GNUPGHOME=$(mktemp -d); chmod 700 "$GNUPGHOME"
w=$(mktemp -d); cd "$w"
g() { gpg -v --batch --auto-key-locate local --pinentry-mode loopback --passphrase '' "$@" >/dev/null; }
g --quick-gen-key 'Alice Test <alice@example.invalid>' ed25519 sign 1d
g --quick-gen-key 'Bob Test <bob@example.invalid>' rsa2048 sign,encr 1d
alice=$(gpg --list-keys --with-colons alice@example.invalid | awk -F: '/^fpr/{print $10; exit}')
g --quick-add-key "$alice" cv25519 encr 1d
echo 'release notes v1' > notes.txt
g --local-user alice@example.invalid --detach-sign notes.txt
g --verify notes.txt.sig notes.txt
echo 'tampered' >> notes.txt
g --verify notes.txt.sig notes.txt
g --local-user bob@example.invalid --clearsign -o notes.asc notes.txt
g --verify notes.asc
g --recipient alice@example.invalid --encrypt -o notes.gpg notes.txt
g --decrypt notes.gpg
g --recipient carol@example.invalid --encrypt -o x.gpg notes.txt
g --armor --export -o bob.asc bob@example.invalid
g --import bob.asc
g --recipient bob@example.invalid --encrypt -o bob.gpg notes.txt
bob=$(gpg --list-keys --with-colons bob@example.invalid | awk -F: '/^fpr/{print $10; exit}')
g --yes --delete-secret-and-public-key "$bob"
g --decrypt bob.gpg
g --local-user bob@example.invalid --sign -o y.gpg notes.txt
g --import bob.asc
g --verify missing.sig
g --symmetric --passphrase 'throwaway' -o sym.gpg notes.txt
g --decrypt sym.gpg
gpg -v --batch --pinentry-mode loopback --passphrase throwaway --decrypt sym.gpg >/dev/null
g --check-trustdb
cd /; rm -rf "$w" "$GNUPGHOME"
