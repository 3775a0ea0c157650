"""A certificate as a one-page PDF (/certificates/<code>.pdf), for people who want a file: the
same facts as its public page (name, track, dates, status, what was assessed, where to verify
it), set in DejaVu Sans (bundled in progress/fonts, so any Latin, Greek or Cyrillic name prints
as typed). The page stays the authority: the PDF says where to check it."""

from pathlib import Path

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF

from .models import Certificate
from .selectors import CertificateEvidence

FONTS = Path(__file__).resolve().parent / "fonts"
INK, MUTED, ACCENT, WARNING = (33, 37, 41), (95, 99, 104), (31, 94, 140), (160, 40, 30)


def _day(moment) -> str:
    return timezone.localtime(moment).strftime("%-d %B %Y")


def render(certificate: Certificate, *, url: str, evidence: CertificateEvidence, now=None) -> bytes:
    now = now or timezone.now()
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"{certificate.track_title} — {certificate.learner_name}")
    pdf.set_author(settings.SITE_NAME)
    pdf.set_creator(settings.SITE_NAME)
    pdf.set_subject(f"Certificate {certificate.code}")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    width = pdf.w - 2 * pdf.l_margin

    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)

    def line(text, *, size, style="", colour=INK, gap=4, height=None):
        pdf.set_font("DejaVu", style, size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(width, height or size * 0.5, text, align="C")
        pdf.ln(gap)

    pdf.set_y(30)
    line(settings.SITE_NAME.upper(), size=12, style="B", colour=ACCENT, gap=6)
    line("Certificate of completion", size=28, style="B", gap=10)
    line("This certifies that", size=13, colour=MUTED, gap=3)
    line(certificate.learner_name, size=26, style="B", gap=6)
    line("completed the track", size=13, colour=MUTED, gap=3)
    line(certificate.track_title, size=20, style="B", gap=8)

    dates = f"Issued {_day(certificate.issued_at)}"
    if certificate.renewed_at:
        dates += f" · renewed {_day(certificate.renewed_at)}"
    if certificate.expires_at:
        verb = "Expired" if certificate.is_expired(now) else "Valid until"
        dates += f" · {verb} {_day(certificate.expires_at)}"
    line(dates, size=12, colour=WARNING if certificate.is_expired(now) else INK, gap=4)
    if certificate.is_revoked:
        line(
            f"REVOKED {_day(certificate.revoked_at)}: {certificate.revoked_reason}",
            size=13,
            style="B",
            colour=WARNING,
        )
    elif certificate.is_expired(now):
        line("This certificate has expired: a refresher renews it.", size=11, colour=WARNING)

    assessed = [f"{quiz.lesson}: {quiz.score}%" for quiz in evidence.quizzes] + [
        f"{item.title}: approved by a reviewer" for item in evidence.assignments
    ]
    if assessed:
        line("Assessed: " + "; ".join(assessed), size=9, colour=MUTED, gap=2, height=5)

    pdf.set_y(pdf.h - 38)
    line(f"Certificate ID {certificate.code}", size=10, colour=MUTED, gap=1)
    line(f"Check it at {url}", size=10, colour=ACCENT, gap=0)
    return bytes(pdf.output())
