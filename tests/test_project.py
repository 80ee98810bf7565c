"""The promises the repository makes about itself: compose file, notebooks, README."""

import json
import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_names_a_pinned_redis_stack_and_jupyterlab():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"redis", "jupyterlab"}
    image = services["redis"]["image"]
    assert re.fullmatch(r"redis/redis-stack:\d+\.\d+\.\d+-v\d+", image)
    assert "8001:8001" in services["redis"]["ports"]
    assert services["jupyterlab"]["environment"]["REDIS_URL"].startswith(
        "redis://redis:"
    )


def test_each_notebook_has_one_parameters_cell_and_no_outputs():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert [n.name[:3] for n in notebooks] == ["01-", "02-", "03-", "04-"]
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        tagged = [
            c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])
        ]
        assert len(tagged) == 1, path.name
        assert "os.environ" in "".join(tagged[0]["source"]), path.name
        assert cells[0]["cell_type"] == "markdown" and "".join(
            cells[0]["source"]
        ).startswith("# ")
        assert all(not c.get("outputs") for c in cells if c["cell_type"] == "code"), (
            path.name
        )


def test_make_help_lists_every_target_the_readme_names():
    listed = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True
    )
    targets = set(re.findall(r"make (\S+)", listed.stdout))
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"`make ([a-z-]+)`", readme))
    assert {"run", "test", "lab"} <= named
    assert named <= targets


def test_the_readme_file_tree_matches_the_repository():
    readme = (ROOT / "README.md").read_text()
    tree = readme.split("<!-- tree -->")[1].split("<!-- /tree -->")[0]
    entries = [line for line in tree.splitlines() if line.strip() and "```" not in line]
    folder = None
    for line in entries:
        name = line.split()[0]
        if line.startswith(" "):
            path = ROOT / folder / name
        else:
            path = ROOT / name
            folder = name if name.endswith("/") else None
        assert path.exists(), (
            f"the README lists {path.relative_to(ROOT)}, which is missing"
        )

    listed = {line.split()[0] for line in entries}
    for module in (ROOT / "redisbank").glob("*.py"):
        if module.name != "__init__.py":
            assert module.name in listed, (
                f"the README's tree lacks redisbank/{module.name}"
            )


def test_every_file_the_package_reads_is_declared_as_package_data():
    # An editable install reads the source tree; a wheel holds only what
    # pyproject declares, so a page left out works here and breaks elsewhere.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["redisbank"]
    package = ROOT / "redisbank"
    tracked = subprocess.run(
        ["git", "ls-files", "redisbank"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    data = [Path(name).relative_to("redisbank") for name in tracked]
    data = [path for path in data if path.suffix != ".py"]
    assert data, "the package ships its pages and static files"
    for path in data:
        assert any((package / path).match(str(package / p)) for p in patterns), path
