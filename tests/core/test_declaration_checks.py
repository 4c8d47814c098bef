"""Issue #14: every declaration is checked once, at registration, and a wrong one is refused
with every error at once, each naming the domain, the element and the field."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from fastapi import APIRouter

from beffroi.connectivity.decoders import Decoder, decoders
from beffroi.core.registry import (
    CORE_DOMAINS,
    Registry,
    RegistryError,
    build_registry,
    discover_domains,
    load_registry,
)
from beffroi.plugin import (
    AssetKind,
    CommandSpec,
    DemoSpec,
    DetailField,
    Detector,
    Domain,
    FollowUpStep,
    Job,
    Kpi,
    MapClass,
    MapStyle,
    Metric,
    Page,
    PropertySpec,
    Setting,
)

SRC = Path(__file__).resolve().parents[2] / "src"
FILL = Metric("waste.fill", "Taux de remplissage", "%", minimum=0, maximum=100)
BIN = AssetKind("waste.bin", "Conteneur", metrics=("waste.fill",))


def waste(**fields) -> Domain:
    return Domain(**{"key": "waste", "label": "Déchets", "asset_kinds": (BIN,),
                     "metrics": (FILL,), **fields})


def refused(*domains: Domain) -> list[str]:
    with pytest.raises(RegistryError) as caught:
        build_registry(domains)
    return [str(e) for e in caught.value.errors]


def test_a_sound_domain_is_registered_with_core_declarations():
    registry = build_registry([waste()])
    assert list(registry.domains) == ["devices", "waste"]
    assert registry.kind_domain["waste.bin"] == "waste"
    assert registry.metrics["waste.fill"] is FILL


def test_a_wrong_metric_reference_is_refused_naming_domain_element_and_field():
    bin_ = AssetKind("waste.bin", "Conteneur", metrics=("waste.fill", "waste.level"))
    assert refused(waste(asset_kinds=(bin_,))) == [
        "domaine « waste », type d'équipement « waste.bin » (asset_kinds[0].metrics[1]) : "
        "mesure inconnue « waste.level »"]


def test_every_metric_a_detector_kpi_or_demo_rule_names_exists():
    errors = refused(waste(
        detectors=(Detector("waste.fire", "Feu", 300, lambda ctx: [],
                            metrics=("waste.temperature",)),),
        kpis=(Kpi("waste.full_share", "Conteneurs pleins", "%", lambda ctx: None,
                  metrics=("waste.fill", "waste.weight")),),
        demo=DemoSpec("x.demo:inventory", "x.demo:simulate", rules=(
            {"name": "Plein", "kind": "threshold", "metric": "waste.full",
             "asset_kind": "waste.point", "params": {}},))))
    assert errors == [
        "domaine « waste », détecteur « waste.fire » (detectors[0].metrics[0]) : mesure "
        "inconnue « waste.temperature »",
        "domaine « waste », indicateur « waste.full_share » (kpis[0].metrics[1]) : mesure "
        "inconnue « waste.weight »",
        "domaine « waste », règle de démo « Plein » (demo.rules[0].metric) : mesure inconnue "
        "« waste.full »",
        "domaine « waste », règle de démo « Plein » (demo.rules[0].asset_kind) : type "
        "d'équipement inconnu « waste.point »"]


def test_every_kind_a_command_panel_map_style_or_parent_names_exists():
    point = AssetKind("waste.point", "Point de collecte", parent_kinds=("waste.area",))
    errors = refused(waste(
        asset_kinds=(BIN, point),
        commands=(CommandSpec("waste.lock", "Verrouiller", ("waste.bin", "waste.lid")),),
        map_styles=(MapStyle("waste.fill", "Remplissage", ("waste.bins",), "fill",
                             (MapClass("Vide", "#00ff00"),)),)))
    assert errors == [
        "domaine « waste », type d'équipement « waste.point » (asset_kinds[1].parent_kinds[0]) "
        ": type d'équipement inconnu « waste.area »",
        "domaine « waste », commande « waste.lock » (commands[0].asset_kinds[1]) : type "
        "d'équipement inconnu « waste.lid »",
        "domaine « waste », coloration de carte « waste.fill » (map_styles[0].asset_kinds[0]) "
        ": type d'équipement inconnu « waste.bins »"]


def test_a_metric_of_another_domain_may_be_named():
    other = Domain("refuse", "Ordures", asset_kinds=(
        AssetKind("refuse.truck", "Benne", metrics=("waste.fill", "radio.rssi")),))
    registry = build_registry([waste(), other])
    assert registry.asset_kinds["refuse.truck"].metrics == ("waste.fill", "radio.rssi")


def test_mistyped_fields_are_refused_naming_the_field():
    bin_ = AssetKind("waste.bin", "Conteneur", metrics="waste.fill")  # a str, not a tuple
    errors = refused(waste(
        asset_kinds=(bin_,),
        detectors=(lambda ctx: [],),  # a function where a Detector is expected
        settings=[Setting(PropertySpec("waste.threshold", "number", "Seuil"), 90)],  # a list
        jobs=(Job("waste.rounds", "daily", lambda db, registry, now: None),)))
    assert [e.split(" reçu ")[0] for e in errors] == [
        "domaine « waste », type d'équipement « waste.bin » (asset_kinds[0].metrics) : "
        "tuple[str, ...] attendu,",
        "domaine « waste » (settings) : tuple[Setting, ...] attendu,",
        "domaine « waste » (detectors[0]) : Detector attendu,",
        "domaine « waste », tâche périodique « waste.rounds » (jobs[0].interval_s) : float "
        "attendu,"]
    assert errors[0].endswith("reçu str 'waste.fill'")
    assert " reçu list [Setting(" in errors[1] and " reçu function <function " in errors[2]
    assert errors[3].endswith("reçu str 'daily'")


def test_literal_nested_and_optional_fields_are_typed():
    kind = AssetKind("waste.bin", "Conteneur", geometry_types=("Circle",),
                     properties=(PropertySpec("volume", "litres", "Volume"),))
    metric = Metric("waste.fill", "Remplissage", "%", kind="level", minimum="0")
    errors = refused(waste(asset_kinds=(kind,), metrics=(metric,), web_dir=3))
    assert errors == [
        "domaine « waste », type d'équipement « waste.bin » (asset_kinds[0].geometry_types[0]) "
        ": l'une des valeurs 'Point', 'MultiPoint', 'LineString', 'MultiLineString', "
        "'Polygon', 'MultiPolygon' attendue, reçu str 'Circle'",
        "domaine « waste », type d'équipement « waste.bin » (asset_kinds[0].properties[0].type)"
        " : l'une des valeurs 'string', 'number', 'integer', 'boolean', 'date', 'enum', "
        "'object', 'list' attendue, reçu str 'litres'",
        "domaine « waste », mesure « waste.fill » (metrics[0].kind) : l'une des valeurs "
        "'gauge', 'counter', 'state' attendue, reçu str 'level'",
        "domaine « waste », mesure « waste.fill » (metrics[0].minimum) : float | None attendu, "
        "reçu str '0'",
        "domaine « waste » (web_dir) : str | None attendu, reçu int 3"]


def test_router_and_cli_must_be_what_core_mounts():
    errors = refused(waste(api_router={"path": "/waste"}, cli="waste"))
    assert errors == [
        "domaine « waste » (api_router) : APIRouter (FastAPI) ou None attendu, reçu dict "
        "{'path': '/waste'}",
        "domaine « waste » (cli) : click.Group ou None attendu, reçu str 'waste'"]
    build_registry([waste(api_router=APIRouter(), cli=click.Group("waste"))])


def test_keys_outside_the_domain_namespace_are_refused():
    errors = refused(waste(
        asset_kinds=(AssetKind("bin", "Conteneur", metrics=("waste.fill",)),),
        settings=(Setting(PropertySpec("fill_alert", "number", "Seuil"), 90),),
        detectors=(Detector("lighting.fire", "Feu", 60, lambda ctx: []),),
        kpis=(Kpi("Waste.Full", "Pleins", "%", lambda ctx: None),),
        metrics=(FILL, Metric("fill", "Remplissage", "%"))))
    assert errors == [
        "domaine « waste », type d'équipement « bin » (asset_kinds[0].key) : clé « bin » hors "
        "de l'espace du domaine : « waste.nom » attendu (minuscules, chiffres, _)",
        "domaine « waste », mesure « fill » (metrics[1].key) : clé « fill » invalide : "
        "« famille.nom » attendu (minuscules, chiffres, _), « energy.active_import » par "
        "exemple",
        "domaine « waste », paramètre « fill_alert » (settings[0].spec.name) : nom "
        "« fill_alert » hors de l'espace du domaine : « waste.nom » attendu",
        "domaine « waste », détecteur « lighting.fire » (detectors[0].key) : clé "
        "« lighting.fire » hors de l'espace du domaine : « waste.nom » attendu (minuscules, "
        "chiffres, _)",
        "domaine « waste », indicateur « Waste.Full » (kpis[0].key) : clé « Waste.Full » hors "
        "de l'espace du domaine : « waste.nom » attendu (minuscules, chiffres, _)"]
    assert "clé de domaine invalide" in refused(Domain("Waste", "Déchets"))[0]


def test_duplicate_keys_within_and_across_domains_are_refused():
    twice = Detector("waste.fire", "Feu", 60, lambda ctx: [])
    other = Domain("refuse", "Ordures", metrics=(
        Metric("waste.fill", "Remplissage", "[ppth]"),),  # same key, another unit
        pages=(Page("/dechets", "a.html"),), web_dir=str(SRC / "beffroi" / "web" / "pages"))
    errors = refused(waste(detectors=(twice, twice), pages=(Page("/dechets", "a.html"),),
                           web_dir=str(SRC / "beffroi" / "web" / "pages")), other)
    assert "domaine « waste », détecteur « waste.fire » (detectors[1].key) : « waste.fire » " \
           "déjà déclaré par ce domaine (détecteur)" in errors
    assert "domaine « refuse », page « /dechets » (pages[0].path) : « /dechets » déjà déclaré " \
           "par le domaine « waste » (page)" in errors
    assert "domaine « refuse », mesure « waste.fill » (metrics[0]) : mesure « waste.fill » déjà " \
           "déclarée autrement par le domaine « waste » : deux domaines peuvent partager une " \
           "mesure seulement s'ils la déclarent à l'identique" in errors
    # The same domain twice, or a domain already registered.
    assert refused(waste(), waste()) == ["domaine « waste » (key) : domaine déjà enregistré"]
    registry = build_registry([waste()])
    with pytest.raises(RegistryError, match="domaine déjà enregistré"):
        registry.register(waste())


def test_own_fields_are_sound():
    errors = refused(waste(
        metrics=(FILL, Metric("waste.lid", "Couvercle", "1", kind="state"),
                 Metric("waste.weight", "Poids", "kg", minimum=10, maximum=1)),
        settings=(Setting(PropertySpec("waste.threshold", "number", "Seuil", maximum=100),
                          150),),
        map_styles=(MapStyle("waste.fill", "Remplissage", ("waste.bin",), "fill",
                             (MapClass("Plein", "red"),)),),
        pages=(Page("dechets", "absent.html"),), web_dir="/nonexistent-beffroi-dir"))
    assert errors == [
        "domaine « waste », mesure « waste.lid » (metrics[1].states) : une mesure d'état "
        "(kind « state ») doit nommer ses états (states)",
        "domaine « waste », mesure « waste.weight » (metrics[2].minimum) : minimum 10 supérieur "
        "au maximum 1",
        "domaine « waste », paramètre « waste.threshold » (settings[0].default) : valeur par "
        "défaut invalide : 150 est supérieur au maximum 100",
        "domaine « waste » (web_dir) : dossier « /nonexistent-beffroi-dir » introuvable",
        "domaine « waste », page « dechets » (pages[0].path) : chemin « dechets » invalide : "
        "il doit commencer par /",
        "domaine « waste », coloration de carte « waste.fill » (map_styles[0].classes[0].colour)"
        " : couleur « red » invalide : « #rrggbb » attendu"]


def test_follow_up_steps_are_checked_at_start():
    """Issue #15: a detector's follow-up steps have unique keys and fields people can fill
    in; each fault names the step or the field."""
    def detector(*steps: FollowUpStep) -> Domain:
        return waste(detectors=(Detector("waste.fire", "Feu", 300, lambda ctx: [],
                                         follow_up=steps),))

    emptied = FollowUpStep("emptied", "Vidé", fields=(
        DetailField("emptied_on", "Date", "date", required=True),
        DetailField("weight_kg", "Poids", unit="kg", minimum=0, maximum=500),
        DetailField("where", "Où", "position")))
    assert build_registry([detector(FollowUpStep("seen", "Vu"), emptied)]).domains["waste"]
    where = "domaine « waste », détecteur « waste.fire » (detectors[0].follow_up"
    assert refused(detector(FollowUpStep("seen", "Vu"), emptied, FollowUpStep("seen", "Revu"))
                   ) == [f"{where}[2].key) : étape de suivi « seen » déclarée deux fois"]
    unknown = refused(detector(FollowUpStep("seen", "Vu", fields=(
        DetailField("where", "Où", "gps"),))))
    assert unknown == [f"{where}[0].fields[0].kind) : l'une des valeurs 'number', 'percent', "
                       "'instant', 'date', 'duration', 'choice', 'metric', 'state', 'text', "
                       "'list', 'position' attendue, reçu str 'gps'"]
    assert refused(detector(FollowUpStep("Seen step", "Vu", fields=(
        DetailField("metric", "Mesure", "metric"),
        DetailField("kind", "Type", "choice"),
        DetailField("at", "Quand", "instant"),
        DetailField("kind", "Type", "choice", choices={"a": "A"}),
        DetailField("note", "Note", "text", minimum=0),
        DetailField("weight", "Poids", minimum=10, maximum=1))))) == [
        f"{where}[0].key) : clé d'étape « Seen step » invalide : minuscules, chiffres et _ "
        "attendus, commençant par une lettre",
        f"{where}[0].fields[0].kind) : type « metric » du champ « metric » impossible à "
        "saisir : number, percent, instant, date, choice, text, position attendu",
        f"{where}[0].fields[1].choices) : le champ à choix « kind » doit lister ses valeurs "
        "(choices)",
        f"{where}[0].fields[2].key) : clé de champ « at » invalide pour l'étape « Seen step » "
        ": minuscules, chiffres et _, autre que step, at, comment",
        f"{where}[0].fields[3].key) : champ « kind » déclaré deux fois dans l'étape "
        "« Seen step »",
        f"{where}[0].fields[4].minimum) : bornes (minimum, maximum) du champ « note » "
        "réservées aux nombres",
        f"{where}[0].fields[5].minimum) : minimum 10 supérieur au maximum 1"]


def test_all_errors_at_once_and_nothing_taken():
    registry = build_registry([])
    bad = waste(asset_kinds=(AssetKind("waste.bin", "Conteneur", metrics=("waste.level",)),),
                commands=(CommandSpec("lock", "Verrouiller", ("waste.bin",)),))
    with pytest.raises(RegistryError) as caught:
        registry.register(waste(key="refuse", asset_kinds=(), metrics=()), bad)
    assert len(caught.value.errors) == 2
    assert str(caught.value).startswith("2 erreurs de déclaration :\n- domaine « waste »")
    assert set(registry.domains) == {"devices"}  # neither the bad one nor the sound one
    assert "waste.bin" not in registry.asset_kinds


def test_a_non_domain_is_refused():
    assert refused("waste") == ["déclaration n° 1 : objet Domain attendu, reçu str 'waste'"]


def test_installed_decoders_suggest_only_declared_metrics_with_their_unit():
    """The 35 metrics the built-in decoders suggest are all declared (27 were not)."""
    registry = load_registry()
    assert set(registry.decoders) == set(decoders())
    suggested = {}
    for decoder in decoders().values():
        for name in list(decoder.fields)[:5000]:
            metric, unit = decoder.fields[name]
            suggested[metric] = unit
    assert len(suggested) == 35
    for metric, unit in suggested.items():
        assert registry.metrics[metric].unit == unit, metric


def test_a_decoder_suggesting_an_unknown_metric_or_unit_is_refused():
    registry = build_registry([waste()])
    sensor = Decoder("fill-sensor", "Capteur de remplissage", lambda payload, port: {},
                     {"distance": ("waste.distance", "m"), "fill": ("waste.fill", "1"),
                      "rssi": ("radio.rssi", "dB[mW]")})
    with pytest.raises(RegistryError) as caught:
        registry.register_decoders({"fill-sensor": sensor})
    assert [str(e) for e in caught.value.errors] == [
        "décodeur « fill-sensor » (fields['distance']) : mesure suggérée inconnue "
        "« waste.distance » : déclarez-la dans un domaine ou corrigez-la",
        "décodeur « fill-sensor » (fields['fill']) : unité « 1 » différente de celle de la "
        "mesure « waste.fill » (« % »)"]
    assert registry.decoders == {}


def test_core_declarations_load_through_the_same_path():
    domains = discover_domains(["generic"])
    assert [d.key for d in domains] == ["devices", "generic"]
    assert set(CORE_DOMAINS) == {"devices"}
    assert isinstance(Registry(), Registry)


def test_the_registry_no_longer_imports_device_metrics():
    source = (SRC / "beffroi" / "core" / "registry.py").read_text()
    assert "device_metrics import" not in source


def test_an_installed_domain_with_a_wrong_declaration_stops_beffroi_at_start(tmp_path):
    """Acceptance: a third-party domain (installed: its entry point in a dist-info) with a
    wrong metric reference, a mistyped field and a duplicate key; ``beffroi`` refuses to
    start and names each field. (Its key is not « waste »: the real waste example is
    installed beside it in the suite.)"""
    (tmp_path / "bad_tri.py").write_text(textwrap.dedent("""
        from beffroi.plugin import AssetKind, Detector, Domain, Metric

        DOMAIN = Domain(
            key="tri", label="Déchets",
            metrics=(Metric("tri.fill", "Remplissage", "%"),),
            asset_kinds=(AssetKind("tri.bin", "Conteneur", metrics=("tri.fil",)),
                         AssetKind("tri.bin", "Conteneur"),),
            detectors=(Detector("tri.fire", "Feu", "5 min", lambda ctx: []),),
        )
    """))
    info = tmp_path / "bad_tri-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bad-tri\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[beffroi.domains]\ntri = bad_tri:DOMAIN\n")
    run = subprocess.run(
        [sys.executable, "-c", "from beffroi.cli.main import main; main()", "serve", "--db",
         f"sqlite:///{tmp_path / 'beffroi.db'}", "--port", "0"],
        capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": f"{SRC}:{tmp_path}", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 1, run.stdout + run.stderr
    assert not (tmp_path / "beffroi.db").exists()  # refused before touching the database
    assert run.stderr.splitlines() == [
        "Attention : le domaine « tri » est inutilisable (détail : beffroi domains).",
        "Beffroi ne peut pas démarrer : 3 erreurs de déclaration :",
        "- domaine « tri », type d'équipement « tri.bin » (asset_kinds[0].metrics[0]) : "
        "mesure inconnue « tri.fil »",
        "- domaine « tri », type d'équipement « tri.bin » (asset_kinds[1].key) : "
        "« tri.bin » déjà déclaré par ce domaine (type d'équipement)",
        "- domaine « tri », détecteur « tri.fire » (detectors[0].interval_s) : int "
        "attendu, reçu str '5 min'"]
