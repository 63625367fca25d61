"""`publisher media` (photos into the media store, without their EXIF) and `publisher source` (our website's feeds
announced on other channels) on the command line."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.test_cli import Cli, cli  # noqa: F401 (the fixture)
from tests.test_media_metadata import jpeg_from_a_phone


def test_media_add_stores_photos_without_their_position_and_lists_them(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "sports-day.jpg").write_bytes(jpeg_from_a_phone())

    added = cli("media", "add", "sports-day.jpg", "--alt", "运动会上奔跑的孩子们").stdout
    listed = cli.json("media", "list")
    missing = cli("media", "add", "nowhere.jpg", ok=False)

    ref = added.split()[0]
    assert ref.startswith("media:")
    assert "sports-day.jpg" in added
    [row] = listed
    assert (row["ref"], row["name"], row["type"], row["pixels"]) == (ref, "sports-day.jpg", "image/jpeg", "20x40")
    assert row["alt"] == "运动会上奔跑的孩子们"
    assert "alt text of" in cli("media", "alt", ref, "终点线前的孩子们").stdout
    assert cli.json("media", "list")[0]["alt"] == "终点线前的孩子们"
    assert missing.returncode != 0
    assert "cannot read the image nowhere.jpg" in missing.stderr
    post = cli("post", "add", "--title", "校运会", "--body", "照片", "--channel", "website", "--now", "--image", ref)
    assert post.returncode == 0
    with Image.open(tmp_path / "sports-day.jpg") as own:
        assert own.size == (40, 20)  # the person's own file is left as it was


def test_source_add_list_remove(cli: Cli) -> None:  # noqa: F811
    cli("campaign", "add", "校运会", "--tz", "Asia/Shanghai")

    added = cli("source", "add", "学校官网", "--feed", "https://www.school.example.cn/feed/", "--channel", "website",
                "--channel", "weibo", "--campaign", "校运会").stdout  # fmt: skip
    [row] = cli.json("source", "list")
    wrong = cli("source", "add", "x", "--feed", "https://x.example/feed", "--channel", "fax", ok=False)
    removed = cli("source", "remove", "学校官网").stdout
    gone = cli("source", "remove", "学校官网", ok=False)

    assert "source 学校官网 added: new articles go to website, weibo" in added
    assert (row["name"], row["channels"], row["campaign"], row["announced"]) == (
        "学校官网",
        ["website", "weibo"],
        "校运会",
        0,
    )
    assert "unknown channel fax: configured channels are" in wrong.stderr
    assert "source 学校官网 removed" in removed
    assert "there is no source 学校官网" in gone.stderr
    assert cli.json("source", "list") == []
