"""What is wrong with an account as typed (adding or changing a user), field by field, in words."""
from __future__ import annotations

import re
import unicodedata

from .models import LANES, ROLES, SUPERVISED_LANES
from .tidy import unseen_removed

USERNAME = re.compile(r"^[a-z0-9_.\-]{3,80}$")
AGENCY_CODE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,39}$")
# One address that any mail server carries: it heads a mail, so no spaces, line breaks or separators (a comma
# would make two recipients), and ASCII only (a server without SMTPUTF8 refuses anything else for good).
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
EMAIL_MAX = 200


def account_problems(role: str, email: str, agency: str | None, lane: str | None) -> list[dict]:
    """What is wrong with an account's role, e-mail, agency and lane, field by field (adding and changing)."""
    errors = []
    if not role:
        errors.append({"field": "role", "message": "Pilih peran."})
    elif role not in ROLES:
        errors.append({"field": "role", "message": f"Peran {role!r} tidak dikenal; pilihannya: {', '.join(ROLES)}."})
    if not (email or "").strip():
        errors.append({"field": "email", "message": "Alamat e-mail wajib diisi: ke sanalah pemberitahuan dikirim."})
    elif not EMAIL.fullmatch(email) or len(email) > EMAIL_MAX:
        errors.append({"field": "email", "message": f"Alamat e-mail tidak valid (satu alamat, huruf Latin tanpa "
                                                   f"spasi, paling panjang {EMAIL_MAX} karakter)."})
    if role == "pemohon" and not agency:
        errors.append({"field": "agency", "message": "Petugas instansi (pemohon) harus terikat pada instansi: "
                                                     "isi kode instansinya."})
    elif agency and role in ROLES and role != "pemohon":
        errors.append({"field": "agency", "message": "Kode instansi hanya diisi untuk petugas instansi (pemohon)."})
    elif agency and not AGENCY_CODE.fullmatch(agency):
        errors.append({"field": "agency", "message": "Kode instansi 2-40 karakter: huruf kecil, angka, . -"})
    if lane is not None and lane not in LANES:
        errors.append({"field": "lane", "message": f"Lajur {lane!r} tidak dikenal; supervisor mengawasi "
                                                   f"{' atau '.join(SUPERVISED_LANES)}."})
    elif lane is not None and role != "supervisor":
        errors.append({"field": "lane", "message": "Lajur yang diawasi hanya diisi untuk peran supervisor."})
    elif role == "supervisor" and lane is None:
        errors.append({"field": "lane", "message": "Supervisor harus mengawasi satu lajur, Tim Layanan "
                                                   "Domain (tim_layanan) atau PANDI (pandi): dialah yang diberi tahu bila target waktu lajur itu "
                                                   "terlewati."})
    elif role == "supervisor" and lane not in SUPERVISED_LANES:
        errors.append({"field": "lane", "message": "Lajur Instansi tidak punya target waktu dan langkahnya hanya "
                                                   "dikerjakan petugas instansi itu sendiri; supervisor mengawasi "
                                                   "lajur Tim Layanan Domain (tim_layanan) atau PANDI (pandi)."})
    return errors


FULL_NAME_MAX = 200
JOINERS = "\u200c\u200d"  # zero-width (non-)joiners: part of how some scripts write names
KEEP = object()  # change_user: a full name not given stays as it is


def tidy_name(full_name) -> str | None:
    """A person's name as typed, its spaces made single and what it carries unseen taken away; None when empty."""
    return " ".join(unseen_removed(full_name).split()) or None if isinstance(full_name, str) else None


def name_problem(name: str, what: str, shortest: int, longest: int) -> str | None:
    """What is wrong with a name people read (a person's, an agency's), in words, or None."""
    if len(name) < shortest or len(name) > longest:
        return (f"{what} paling panjang {longest} karakter" if shortest <= 1 else
                f"{what} {shortest}–{longest} karakter") + f" (yang diisi {len(name)})."
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return f"{what} memuat karakter kendali; tulis ulang namanya."
    if any(unicodedata.category(c) in ("Cf", "Cs") and c not in JOINERS for c in name):
        # a right-to-left override shows "Saraswati" as "itawsaraS"; zero-width spaces make look-alikes
        return f"{what} memuat karakter tak terlihat (misalnya pembalik arah teks); tulis ulang namanya."
    scripts = _scripts(name)
    if len(scripts) > 1:
        # "Pemerintah Kabupatеn Contoh" with a Cyrillic е reads exactly like the real agency in every list;
        # Latin beside Arabic (Jawi on a letterhead) or a modifier letter (Maʼruf) deceives nobody
        odd = "".join(sorted({c for c in name if _script(c) in scripts - {"LATIN"}}))
        named = " dan ".join(SCRIPT_NAMES[s] for s in sorted(scripts, key=lambda s: (s != "LATIN", s)))
        return (f"{what} mencampur huruf {named} "
                f"({odd}), yang tampak sama tetapi berbeda; ketik ulang namanya dengan satu jenis huruf.")
    return None


# The scripts whose letters pass for one another (Latin a, Cyrillic а, Greek α): only mixing these deceives.
SCRIPT_NAMES = {"LATIN": "Latin", "CYRILLIC": "Sirilik", "GREEK": "Yunani"}


def _script(letter: str) -> str | None:
    """LATIN, CYRILLIC or GREEK for a letter of those scripts (fullwidth Latin too); None for any other."""
    words = unicodedata.name(letter, "").split(" ")
    return next((w for w in words if w in SCRIPT_NAMES), None) if letter.isalpha() else None


def _scripts(name: str) -> set[str]:
    return {s for s in map(_script, name) if s}


def name_problems(full_name: str | None) -> list[dict]:
    problem = full_name is not None and name_problem(full_name, "Nama lengkap", 1, FULL_NAME_MAX)
    return [{"field": "full_name", "message": problem}] if problem else []


def password_problems(password: str | None, field: str = "password") -> list[dict]:
    if len(password or "") < 8:
        return [{"field": field, "message": "Kata sandi minimal 8 karakter."}]
    if len(password) > 200:
        return [{"field": field, "message": "Kata sandi maksimal 200 karakter."}]
    if not password.strip() or any(ord(c) < 32 or ord(c) == 127 for c in password):
        return [{"field": field, "message": "Kata sandi tidak boleh hanya spasi atau memuat karakter kendali."}]
    return []
