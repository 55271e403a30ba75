"""A new bidder's whole sealed-bid journey in the browser, in Chinese and in English."""
import re
import subprocess
from datetime import timedelta

import pytest

from trading.demo import full_uscc

from . import stories

pytestmark = pytest.mark.browser

UNLOCK = "my-own-unlock-secret-42"
ORGS = {  # a new organisation per run: name, 17-character uscc body, username
    "zh_CN": ("临安市政建设有限公司", "91330185MA2K70013", "linan-bidder"),
    "en": ("Qiantang Harbour Engineering Co., Ltd.", "91330185MA2K70021", "qiantang-bidder"),
}


def pdf_text(data):
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_new_bidder_registers_bids_and_decrypts_at_the_opening(server, contexts, shot, locale):
    t = server.translator(locale)
    name, uscc_body, username = ORGS[locale]
    project = stories.published_tender(server, f"城南学校运动场改造工程 ({locale})")
    # two other bidders have sealed their bids already (a tender opens with three, RULES.md)
    for (user, address), price in zip(stories.OTHER_BIDDERS[:2], ("2860000.00", "2795000.00")):
        stories.sealed_bid(server, project, user, price, address)
    page = contexts(locale).new_page()

    # the organisation registers itself, with its first user, from the home page
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if locale == "zh_CN" else "en")
    page.goto("/register")
    page.get_by_label(t("Organisation name")).fill(name)
    page.get_by_label(t("Unified social credit code")).fill(full_uscc(uscc_body))
    page.get_by_label(t("Legal representative")).fill("钱江")
    page.get_by_label(t("Contact name")).fill("钱江")
    page.get_by_label(t("Phone")).fill("0571-63700001")
    page.get_by_label(t("Email")).fill(f"{username}@example.com")
    page.get_by_label(t("Username"), exact=True).fill(username)
    page.get_by_label(t("Password"), exact=True).fill("a-long-password-1")
    page.get_by_label(t("Password again")).fill("a-long-password-1")
    shot(page, "register-organisation")
    page.get_by_role("button", name=t("Register and log in")).click()
    page.wait_for_url("**/bidder")
    assert name in page.locator("main").inner_text()
    shot(page, "bidder-workspace")

    # registers for the tender from the workspace's list of projects open for registration
    page.locator("main").get_by_role("link", name=t("Register and bid")).and_(
        page.locator(f"a[href$='{project['id']}']")).click()
    assert page.locator("h1").inner_text() == project["title"]
    page.get_by_role("button", name=t("Register"), exact=True).click()
    registration = page.locator("#registration")
    assert t("Your organisation is registered.") in registration.inner_text()
    assert t("pending_deposit") in registration.inner_text()
    account = registration.locator("code.account").inner_text()
    shot(page, "registered-deposit-due")
    # the bank reports the deposit paid into the registration's own account: the bid form appears
    stories.bank_pays(server, account, "20000.00", f"ref-{username}", payer="6222021208880001")
    page.reload()
    assert t("qualified") in page.locator("#registration").inner_text()

    # downloads the tender document (every download is audited)
    with page.expect_download() as download_info:
        page.locator("#documents").get_by_role("link", name="招标文件.txt").click()
    download = download_info.value
    assert download.suggested_filename == "招标文件.txt"
    with open(download.path(), encoding="utf-8") as downloaded:
        assert downloaded.read() == stories.TENDER_TEXT

    # asks a question: it is listed, unanswered, without the asker's name
    question = "第三章评标办法中的业绩要求是否包括在建项目？" if locale == "zh_CN" else "Do projects under way count as references?"
    page.get_by_label(t("Your question")).fill(question)
    page.get_by_role("button", name=t("Send the question")).click()
    questions = page.locator("#questions")
    assert question in questions.inner_text() and t("Not answered yet.") in questions.inner_text()
    assert name not in questions.inner_text()

    # seals and submits a bid with two files and an unlock secret
    lot = project["lots"][0]
    form = page.locator(f"#lot-{lot['id']} form.bid-form")
    form.get_by_label(t("Price (CNY)")).fill("2738000.00")
    form.get_by_label(t("Bid files")).set_input_files([
        {"name": "技术标.txt", "mimeType": "text/plain", "buffer": "施工组织设计".encode()},
        {"name": "商务标.txt", "mimeType": "text/plain", "buffer": "已标价工程量清单".encode()},
    ])
    form.get_by_label(t("Unlock secret"), exact=True).fill(UNLOCK)
    form.get_by_label(t("Unlock secret again")).fill(UNLOCK)
    shot(page, "sealed-bid-form")
    form.get_by_role("button", name=t("Seal and submit the bid")).click()

    # the receipt comes at once (E20 Art 25): the bid's status, its receipt hash and each file's SHA-256
    assert page.locator("h1").inner_text() == t("Bid receipt")
    receipt = page.locator("section.receipt")
    assert t("sealed") in receipt.inner_text() and name in receipt.inner_text()
    bid_id = receipt.locator("dd code").first.inner_text()
    receipt_hash = receipt.locator("code.hash").first.inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", receipt_hash)
    assert "技术标.txt" in receipt.inner_text() and "商务标.txt" in receipt.inner_text()
    shot(page, "receipt")
    # the PDF, fetched as the link gives it, with the page's own login
    pdf = page.request.get(page.get_by_role("link", name=t("Download the receipt (PDF)")).get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"].startswith("application/pdf")
    assert receipt_hash in pdf_text(pdf.body())
    page.get_by_role("link", name=t("Back to the project")).first.click()
    row = page.locator(f"#lot-{lot['id']} table tbody tr").first
    assert t("sealed") in row.inner_text() and receipt_hash in row.inner_text()

    # the clock reaches the bid deadline: the opening starts and the decryption window opens
    server.set_clock(stories.deadline_of(project))
    window_until = (stories.deadline_of(project) + timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M")
    page.reload()
    opening = page.locator("#opening")
    assert t("The decryption window is open until ${at} (Beijing time). Decrypt each of your sealed bids above with "
             "its unlock secret; a bid not decrypted in time fails.", at=window_until) in opening.inner_text()
    decrypt = page.locator("form.decrypt")
    decrypt.get_by_label(t("Unlock secret for bid ${id}", id=bid_id)).fill("a wrong secret")
    decrypt.get_by_role("button", name=t("Decrypt my bid")).click()
    assert t("The unlock secret does not open this bid; check it and try again.") in page.locator("#bids").inner_text()
    shot(page, "decrypt-refused")
    decrypt = page.locator("form.decrypt")
    decrypt.get_by_label(t("Unlock secret for bid ${id}", id=bid_id)).fill(UNLOCK)
    shot(page, "decrypt")
    decrypt.get_by_role("button", name=t("Decrypt my bid")).click()
    row = page.locator(f"#lot-{lot['id']} table tbody tr").first
    assert t("opened") in row.inner_text() and "2738000.00" in row.inner_text()
    assert page.locator("form.decrypt").count() == 0
    # the opening's progress counts the bid: one of the three decrypted
    assert t("${opened} of ${total} bids decrypted", opened=1, total=3) in page.locator("#opening").inner_text()
    shot(page, "decrypted")
