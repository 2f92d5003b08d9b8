#!/usr/bin/env python3
"""Score phiscan output against the blind set.

  python3 score.py DIR ALERTS.jsonl [--sms-alerts F] [--query-alerts F]
                                    [--sms-detect F] [--query-detect F] [--json OUT]

ALERTS.jsonl: `phiscan scan --config DIR/config.toml DIR/events.jsonl` output (phiscan.alert/1 lines).
--sms-alerts / --query-alerts: scan output for DIR/sms-events.jsonl / DIR/query-events.jsonl
  (each text wrapped as the body of a WhatsApp message.sent; spans come from findings whose
  field is /data/body).
--sms-detect / --query-detect: `phiscan detect DIR/sms.jsonl` output ({"id","findings":[{"span",...}]}),
  scored the same way (plain detection, no policy).
Alerts are joined to events by event.id, falling back to source.line (1-based) when the id is withheld.
Prints no raw values: the scorer never reads event contents, only expected.jsonl and the alert metadata.
"""
import argparse
import collections
import json
import os
import sys

IDENT = {"name", "address", "geo", "zip", "date", "age", "phone", "email", "ssn", "mrn", "health_plan_id",
         "account_number", "license_number", "vehicle_id", "device_id", "url", "ip_address", "npi",
         "credit_card", "other_id"}
HEALTH = {"condition", "medication", "procedure", "medical_code", "care_setting"}


def jl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for ln in f:
            ln = ln.strip()
            if ln:
                try:
                    out.append(json.loads(ln))
                except json.JSONDecodeError:
                    pass
    return out


def pct(a, b):
    return f"{100.0 * a / b:5.1f}% ({a}/{b})" if b else "   n/a (0/0)"


def join_alerts(alerts, ids, path_hint):
    """-> dict index -> {rule: [findings]}; plus count of unjoinable alerts."""
    by_id = {x: i for i, x in enumerate(ids)}
    got = collections.defaultdict(lambda: collections.defaultdict(list))
    unjoined = 0
    for a in alerts:
        if not isinstance(a, dict) or "rule" not in a:
            continue
        eid = (a.get("event") or {}).get("id")
        idx = by_id.get(eid)
        if idx is None:
            src = a.get("source") or {}
            line = src.get("line")
            if isinstance(line, int) and 1 <= line <= len(ids) and (not src.get("path") or
                                                                   os.path.basename(str(src.get("path"))) == path_hint):
                idx = line - 1
        if idx is None:
            unjoined += 1
            continue
        got[idx][a["rule"]].extend(a.get("findings") or [])
    return got, unjoined


def finding_shape(fs, limit=3):
    seen = []
    for f in fs:
        s = f"{f.get('field', '?')}:{f.get('category', '?')}({f.get('detector', '?')})"
        if s not in seen:
            seen.append(s)
    return ", ".join(seen[:limit]) + (" …" if len(seen) > limit else "")


def score_events(d, alerts_path, out):
    exp = jl(os.path.join(d, "expected.jsonl"))
    ids = [e["id"] for e in exp]
    got, unjoined = join_alerts(jl(alerts_path), ids, "events.jsonl")
    P = lambda *a: print(*a, file=out)
    P("# Events (policy rules)\n")
    P(f"events: {len(exp)}; violating: {sum(1 for e in exp if e['rules'])}; clean: {sum(1 for e in exp if not e['rules'])}; "
      f"alerts joined: {sum(len(v) for v in got.values())}; unjoinable alerts: {unjoined}\n")

    rule_exp, rule_hit, rule_fp = collections.Counter(), collections.Counter(), collections.Counter()
    kind_exp, kind_hit = collections.Counter(), collections.Counter()
    clean_n, clean_fa = collections.Counter(), collections.Counter()
    extra = collections.Counter()
    misses, fas = [], []
    miss_kinds, fa_kinds = collections.Counter(), collections.Counter()
    miss_examples, fa_examples = collections.defaultdict(list), collections.defaultdict(list)
    tp_all = 0
    for i, e in enumerate(exp):
        g = got.get(i, {})
        rules = set(e["rules"])
        for r in rules:
            rule_exp[r] += 1
            kind_exp[(e["kind"], r)] += 1
            if r in g:
                rule_hit[r] += 1
                kind_hit[(e["kind"], r)] += 1
                tp_all += 1
            else:
                misses.append((e["id"], e["kind"], r))
                miss_kinds[e["kind"]] += 1
                if len(miss_examples[e["kind"]]) < 2:
                    others = ("; got " + ",".join(sorted(g))) if g else ""
                    miss_examples[e["kind"]].append(f"{e['id']} (expected {r}{others})")
        for r, fs in g.items():
            if r not in rules:
                rule_fp[r] += 1
                if rules:
                    extra[r] += 1
        if not rules:
            clean_n[e["kind"]] += 1
            if g:
                clean_fa[e["kind"]] += 1
                fa_kinds[e["kind"]] += 1
                for r, fs in g.items():
                    fas.append((e["id"], e["kind"], r, finding_shape(fs)))
                    if len(fa_examples[e["kind"]]) < 2:
                        fa_examples[e["kind"]].append(f"{e['id']} {r}: {finding_shape(fs)}")
    tot_exp = sum(rule_exp.values())
    tot_alerts = sum(len(v) for v in got.values())
    P(f"overall (event, rule) recall: {pct(tp_all, tot_exp)}")
    P(f"overall (event, rule) precision: {pct(tp_all, tot_alerts)}")
    nclean = sum(clean_n.values())
    P(f"false-alert rate on clean events (any alert): {pct(sum(clean_fa.values()), nclean)}")
    nviol = sum(1 for e in exp if e["rules"])
    P(f"extra-rule alerts on violating events: {sum(extra.values())} over {nviol} violating events "
      f"({', '.join(f'{r}={n}' for r, n in extra.most_common()) or 'none'})\n")

    P("## Per rule\n")
    P("| rule | expected | recall | alerts where not expected (clean+extra) |")
    P("|---|---|---|---|")
    for r in sorted(set(rule_exp) | set(rule_fp)):
        P(f"| {r} | {rule_exp[r]} | {pct(rule_hit[r], rule_exp[r])} | {rule_fp[r]} |")
    P("\n## Per violation kind (recall of its rule)\n")
    P("| kind | rule | recall |")
    P("|---|---|---|")
    for (k, r) in sorted(kind_exp, key=lambda x: (kind_hit[x] / kind_exp[x], x)):
        P(f"| {k} | {r} | {pct(kind_hit[(k, r)], kind_exp[(k, r)])} |")
    P("\n## Per clean kind (false-alert rate)\n")
    P("| clean kind | false-alert rate |")
    P("|---|---|")
    for k in sorted(clean_n, key=lambda k: (-clean_fa[k] / clean_n[k], k)):
        P(f"| {k} | {pct(clean_fa[k], clean_n[k])} |")
    P("\n## Top miss kinds\n")
    for k, n in miss_kinds.most_common(10):
        P(f"- {k}: {n} missed of {sum(v for (kk, _), v in kind_exp.items() if kk == k)} — e.g. " + " | ".join(miss_examples[k]))
    P("\n## Top false-alarm kinds (clean events)\n")
    for k, n in fa_kinds.most_common(10):
        P(f"- {k}: {n} of {clean_n[k]} — e.g. " + " | ".join(fa_examples[k]))
    P("\n## Misses (first 40)\n")
    for m in misses[:40]:
        P(f"- {m[0]}  {m[1]}  {m[2]}")
    P("\n## False alarms on clean events (first 40; field:category(detector), no values)\n")
    for f in fas[:40]:
        P(f"- {f[0]}  {f[1]}  {f[2]}  {f[3]}")
    return {"recall": tp_all / tot_exp if tot_exp else None, "fa_rate": sum(clean_fa.values()) / nclean if nclean else None,
            "per_rule": {r: [rule_hit[r], rule_exp[r]] for r in rule_exp}}


def overlap(a, b):
    return a[0] < b[1] and b[0] < a[1]


def score_spans(d, name, pred_path, mode, out):
    """mode 'alerts': scan output of the wrapped events; mode 'detect': phiscan detect output."""
    P = lambda *a: print(*a, file=out)
    gold = jl(os.path.join(d, f"{name}-gold.jsonl"))
    flag = "has_phi" if name == "sms" else "has_identifier"
    preds = collections.defaultdict(list)
    if mode == "alerts":
        ids = [x["event_id"] for x in gold]
        got, unj = join_alerts(jl(pred_path), ids, "sms-events.jsonl" if name == "sms" else "query-events.jsonl")
        for i, rules in got.items():
            seen = set()
            for fs in rules.values():
                for f in fs:
                    if f.get("field") == "/data/body" and isinstance(f.get("span"), list):
                        key = (tuple(f["span"]), f.get("category"))
                        if key not in seen:
                            seen.add(key)
                            preds[i].append(f)
    else:
        byid = {x["id"]: i for i, x in enumerate(gold)}
        unj = 0
        for row in jl(pred_path):
            i = byid.get(row.get("id"))
            if i is None:
                unj += 1
                continue
            preds[i].extend(f for f in row.get("findings") or [] if isinstance(f.get("span"), list))
    P(f"\n# {name} spans via {mode} ({os.path.basename(pred_path)})\n")
    tot, hit, cat_ok = collections.Counter(), collections.Counter(), collections.Counter()
    pos_n = pos_any = neg_n = neg_any = neg_ident = 0
    pred_n = pred_ok = 0
    fa_cats = collections.Counter()
    for i, gl in enumerate(gold):
        ps = preds.get(i, [])
        spans = gl["spans"]
        for s, e, t in spans:
            tot[t] += 1
            m = [p for p in ps if overlap((s, e), p["span"])]
            if m:
                hit[t] += 1
                if any(p.get("category") == t for p in m):
                    cat_ok[t] += 1
        for p in ps:
            pred_n += 1
            if any(overlap((s, e), p["span"]) for s, e, _ in spans):
                pred_ok += 1
        if gl[flag]:
            pos_n += 1
            pos_any += bool(ps)
        else:
            neg_n += 1
            neg_any += bool(ps)
            idf = [p for p in ps if p.get("category") in IDENT]
            neg_ident += bool(idf)
            for p in (ps if name == "sms" else idf):
                fa_cats[p.get("category")] += 1
    T = sum(tot.values())
    H = sum(hit.values())
    idt = sum(v for k, v in tot.items() if k in IDENT)
    idh = sum(v for k, v in hit.items() if k in IDENT)
    P(f"texts: {len(gold)} ({pos_n} with {'PHI' if name == 'sms' else 'identifiers'}, {neg_n} without); unjoined predictions: {unj}")
    P(f"gold span recall (any overlap): {pct(H, T)}; identifiers: {pct(idh, idt)}; health info: {pct(H - idh, T - idt)}")
    P(f"  of which category matches gold type: {pct(sum(cat_ok.values()), T)}")
    P(f"predicted spans overlapping a gold span: {pct(pred_ok, pred_n)}")
    P(f"texts {'with PHI' if name == 'sms' else 'with identifiers'} having any finding: {pct(pos_any, pos_n)}")
    if name == "sms":
        P(f"clean texts with any finding: {pct(neg_any, neg_n)}")
    else:
        P(f"identifier-free queries with any identifier finding: {pct(neg_ident, neg_n)}; with any finding at all "
          f"(health terms are expected there): {pct(neg_any, neg_n)}")
    if fa_cats:
        P("  false-positive categories on those: " + ", ".join(f"{k}={v}" for k, v in fa_cats.most_common()))
    P("\n| gold type | spans | recall (overlap) | category agrees |")
    P("|---|---|---|---|")
    for t in sorted(tot, key=lambda t: hit[t] / tot[t]):
        P(f"| {t} | {tot[t]} | {pct(hit[t], tot[t])} | {pct(cat_ok[t], tot[t])} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("alerts")
    ap.add_argument("--sms-alerts")
    ap.add_argument("--query-alerts")
    ap.add_argument("--sms-detect")
    ap.add_argument("--query-detect")
    a = ap.parse_args()
    out = sys.stdout
    score_events(a.dir, a.alerts, out)
    for name, path, mode in (("sms", a.sms_alerts, "alerts"), ("sms", a.sms_detect, "detect"),
                             ("queries", a.query_alerts, "alerts"), ("queries", a.query_detect, "detect")):
        if path:
            score_spans(a.dir, name, path, mode, out)


if __name__ == "__main__":
    main()
