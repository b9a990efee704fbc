"""The methods paragraph of a report, written from the parameters actually used.

Nothing here is boilerplate: each sentence is produced only when its
section was computed, states the definition the metric implements and the
parameter values of this run (window, super-user rule, bootstrap, withdrawal
window, timezone, small-cell threshold), and cites the source of the
definition.  The reference list holds exactly the works cited.
"""

from __future__ import annotations

import platform

import numpy as np
import pandas as pd

from peerscope import __version__

__all__ = ["REFERENCES", "methods_text"]

#: Every work a methods paragraph may cite, by key.
REFERENCES = {
    "nonnecke2000": "Nonnecke, B., & Preece, J. (2000). Lurker demographics: counting the silent. "
                    "Proceedings of CHI 2000, 73-80.",
    "nielsen2006": "Nielsen, J. (2006). Participation inequality: encouraging more users to "
                   "contribute. Nielsen Norman Group.",
    "vanmierlo2014": "van Mierlo, T. (2014). The 1% rule in four digital health social networks: "
                     "an observational study. Journal of Medical Internet Research, 16(2), e33.",
    "carron2016": "Carron-Arthur, B., Reynolds, J., Bennett, K., Bennett, A., & Griffiths, K. M. "
                  "(2016). What's all the talk about? Topic modelling in a mental health Internet "
                  "support group. BMC Psychiatry, 16, 367.",
    "clauset2009": "Clauset, A., Shalizi, C. R., & Newman, M. E. J. (2009). Power-law "
                   "distributions in empirical data. SIAM Review, 51(4), 661-703.",
    "vanmierlo2015": "van Mierlo, T., Hyatt, D., & Ching, A. T. (2015). Mapping power law "
                     "distributions in digital health social networks: methods, interpretations, "
                     "and practical implications. Journal of Medical Internet Research, 17(6), e160.",
    "kaplan1958": "Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete "
                  "observations. Journal of the American Statistical Association, 53, 457-481.",
    "goh2008": "Goh, K.-I., & Barabasi, A.-L. (2008). Burstiness and memory in complex systems. "
               "EPL, 81, 48002.",
    "bracke2008": "Bracke, P., Christiaens, W., & Verhaeghe, M. (2008). Self-esteem, self-efficacy, "
                  "and the balance of peer support among persons with chronic mental health "
                  "problems. Journal of Applied Social Psychology, 38(2), 436-459.",
    "wang2012": "Wang, Y.-C., Kraut, R., & Levine, J. M. (2012). To stay or leave? The "
                "relationship of emotional and informational support to commitment in online "
                "health support groups. Proceedings of CSCW 2012, 833-842.",
    "nowak2007": "Nowak, M. A., & Roch, S. (2007). Upstream reciprocity and the evolution of "
                 "gratitude. Proceedings of the Royal Society B, 274, 605-610.",
    "vanuden2008": "van Uden-Kraan, C. F., Drossaert, C. H. C., Taal, E., Seydel, E. R., & van de "
                   "Laar, M. A. F. J. (2008). Self-reported differences in empowerment between "
                   "lurkers and posters in online patient support groups. Journal of Medical "
                   "Internet Research, 10(2), e18.",
    "joglekar2018": "Joglekar, S., Sastry, N., Coulson, N. S., et al. (2018). How online communities "
                    "of people with long-term conditions function and evolve: network analysis of "
                    "the structure and dynamics of the Asthma UK and British Lung Foundation online "
                    "communities. Journal of Medical Internet Research, 20(7), e238.",
    "graham2014": "Graham, T., & Wright, S. (2014). Discursive equality and everyday talk online: "
                  "the impact of 'superparticipants'. Journal of Computer-Mediated Communication, "
                  "19(3), 625-642.",
    "hundepool2012": "Hundepool, A., et al. (2012). Statistical Disclosure Control. Wiley.",
    "blei2003": "Blei, D. M., Ng, A. Y., & Jordan, M. I. (2003). Latent Dirichlet allocation. "
                "Journal of Machine Learning Research, 3, 993-1022.",
    "lee1999": "Lee, D. D., & Seung, H. S. (1999). Learning the parts of objects by non-negative "
               "matrix factorization. Nature, 401, 788-791.",
    "bouma2009": "Bouma, G. (2009). Normalized (pointwise) mutual information in collocation "
                 "extraction. Proceedings of GSCL 2009, 31-40.",
    "cutrona1992": "Cutrona, C. E., & Suhr, J. A. (1992). Controllability of stressful events and "
                   "satisfaction with spouse support behaviors. Communication Research, 19(2), 154-174.",
    "jaidka2020": "Jaidka, K., Singh, I., Liu, J., Buffone, A., & Ungar, L. (2020). The CL-Aff "
                  "Happiness Shared Task: Results and Key Insights. Proceedings of the 3rd Workshop on "
                  "Affective Content Analysis (AffCon) @ AAAI 2020.",
    "forman2008": "Forman, G. (2008). Quantifying counts and costs via classification. Data Mining "
                  "and Knowledge Discovery, 17(2), 164-206.",
    "hanley2006": "Hanley, J. A., & MacGibbon, B. (2006). Creating non-parametric bootstrap samples "
                  "using Poisson frequencies. Computer Methods and Programs in Biomedicine, 83(1), 57-62.",
    "mantel1966": "Mantel, N. (1966). Evaluation of survival data and two new rank order statistics "
                  "arising in its consideration. Cancer Chemotherapy Reports, 50(3), 163-170.",
    "wilson1927": "Wilson, E. B. (1927). Probable inference, the law of succession, and statistical "
                  "inference. Journal of the American Statistical Association, 22(158), 209-212.",
    "mann1947": "Mann, H. B., & Whitney, D. R. (1947). On a test of whether one of two random variables "
                "is stochastically larger than the other. Annals of Mathematical Statistics, 18(1), 50-60.",
    "kruskal1952": "Kruskal, W. H., & Wallis, W. A. (1952). Use of ranks in one-criterion variance "
                   "analysis. Journal of the American Statistical Association, 47(260), 583-621.",
}


class _Text:
    """Sentences and the references they cite."""

    def __init__(self):
        self.paragraphs: list[str] = []
        self.cited: list[str] = []

    def cite(self, *keys: str) -> str:
        for key in keys:
            if key not in self.cited:
                self.cited.append(key)
        return ""

    def add(self, heading: str, *sentences: str) -> None:
        text = " ".join(s for s in sentences if s)
        self.paragraphs.append(f"**{heading}.** {text}")


def _number(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:,}" if isinstance(value, (int, np.integer)) else f"{value:,.3g}"


def methods_text(results: dict, parameters: dict, tables: dict, suppression: pd.DataFrame,
                 figures: dict, not_computed: list) -> str:
    """The methods paragraph (Markdown) for the results and parameters of one report.

    Parameters
    ----------
    results : dict
        The metric results (``Report.results``): at least ``description``
        and ``participation``, and the other sections that were computed.
    parameters : dict
        ``Report.parameters``.
    tables : dict
        The published tables.
    suppression : DataFrame
        The suppression log (``Report.suppression``).
    figures : dict
        The figures drawn (empty without matplotlib).
    not_computed : list of str
        Sections left out, with reasons.

    Returns
    -------
    str
        Markdown paragraphs, one per topic, then the references cited.

    Examples
    --------
    >>> import pandas as pd
    >>> from peerscope import Corpus
    >>> from peerscope.report import build
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "thread_id": ["p1", "p1"],
    ...     "parent_id": [None, "p1"], "author_id": ["ann", "bob"], "text": ["a", "b"],
    ...     "created_at": pd.to_datetime(["2024-01-01 20:00", "2024-01-02 21:00"], utc=True)})
    >>> report = build(Corpus.from_frames(posts, name="tiny"), replicates=50, figures=False)
    >>> text = methods_text(report.results, report.parameters, report.tables, report.suppression,
    ...                     report.figures, report.not_computed)
    >>> text == report.methods, text.startswith("**Data.** We analysed the corpus 'tiny'")
    (True, True)
    >>> "**References**" in text
    True
    """
    t = _Text()
    description = results["description"]
    s = results["participation"]
    window = (f"from {parameters['start'] or 'the first record'} to "
              f"{parameters['end'] or 'the last record'} (UTC, end excluded)")
    t.add("Data",
          f"We analysed the corpus '{parameters['corpus']}' {window}: "
          f"{description.rows['posts']:,} posts ({description.opening_posts:,} opening posts, "
          f"{description.replies:,} replies in {description.reply_structure} threads, times recorded "
          f"to the {description.time_resolution})"
          + (f", a roster of {_people(description.members, parameters)} members"
             if description.members is not None else
             ", no member roster")
          + (f", {description.rows['events']:,} activity events" if description.rows["events"] else "")
          + (f" and {description.rows['newsletter_items']:,} newsletter items"
             if description.rows["newsletter_items"] else "") + ".",
          f"Accounts with role bot ({description.bots}) were left out of all counts of people; "
          f"{s.posts_by_unknown_authors:,} posts by deleted, anonymous or unknown authors count in "
          "post totals but as nobody's.")
    pseudonymised = parameters["pseudonymised"]
    t.add("Privacy",
          ("Member ids were pseudonymised on import with a keyed hash (HMAC-SHA256 with a secret "
           "salt that is not stored)." if pseudonymised else
           "Member ids were not pseudonymised on import."),
          ("The report lists super-users' member ids on request." if parameters["include_ids"] else
           "No member id appears in the report.")
          + (" Representative posts are quoted on request." if parameters["include_quotes"] else
             " No post text is quoted."),
          f"Counts of fewer than {parameters['min_cell']} people were suppressed (shown as "
          f"'<{parameters['min_cell']}'), with complementary suppression so that no suppressed cell "
          "can be recovered from totals, and shares derived from suppressed counts were hidden"
          + t.cite("hundepool2012") + " (Hundepool et al. 2012); "
          + _suppression_counts(suppression, parameters["min_cell"]) + ".",
          f"The survival, ladder and forms-over-tenure figures leave out points resting on fewer "
          f"than {parameters['min_cell']} people; the rank-frequency plot and the give/receive "
          "scatter show one unlabelled point per poster or member.")
    t.add("Participation", *_participation(t, s, parameters))
    t.add("Engagement", *_engagement(t, results, parameters))
    if "reciprocity" in results and ("reciprocity" in tables or "responsiveness" in tables):
        t.add("Reciprocity", *_reciprocity(t, results["reciprocity"], tables))
    if "participation_by" in results:
        t.add("Groups", *_groups(t, results))
    if "forms_over_tenure" in results:
        t.add("Forms of support", *_pluralism(results["forms_over_tenure"].parameters))
    if "newsletters" in results:
        t.add("Newsletters", *_newsletters(results["newsletters"]))
    if "text_sample" in results:
        t.add("Text sample", _text_sample(results["text_sample"]))
    if "topics" in results:
        t.add("Topics", *_topics(t, results))
    if "support" in results:
        t.add("Support types", *_support(t, results["support"], parameters))
    if any(name.startswith("newsletter_") for name in tables):
        t.add("Newsletter text", *_newsletter_text(t, tables))
    t.add("Software", _software(figures))
    if not_computed:
        t.add("Not computed", "; ".join(not_computed) + ".")
    references = "\n".join(f"- {REFERENCES[key]}" for key in t.cited)
    return "\n\n".join(t.paragraphs) + "\n\n**References**\n\n" + references + "\n"


def _suppression_counts(log: pd.DataFrame, k: int) -> str:
    if not len(log):
        return f"no cell in this report counted 1 to {k - 1} people"
    counts = log["rule"].value_counts()
    return (f"{int(counts.get('primary', 0))} cell(s) were suppressed as small, "
            f"{int(counts.get('complementary', 0))} as complements and "
            f"{int(counts.get('derived', 0))} as derived from suppressed cells")


def _participation(t: _Text, s, parameters) -> list[str]:
    sentences = []
    if s.members is not None:
        basis = {"roster": "the member roster (members who had joined before the window's end and "
                           "not left before its start)",
                 "events": "the people with view, read or delivery events or posts in the window"}
        sentences.append(
            f"The population was {basis.get(s.population_basis, s.population_basis)}; lurkers were "
            "members with no post in the window" + t.cite("nonnecke2000") + " (Nonnecke & Preece 2000).")
    else:
        sentences.append(f"Lurkers could not be counted: {s.lurker_reason}" + t.cite("nonnecke2000")
                         + " (Nonnecke & Preece 2000).")
    g = s.gini_members if s.gini_members.value is not None else s.gini_posters
    over = ("over all members (lurkers counted with 0 posts) and over posters only"
            if s.gini_members.value is not None else
            "over posters only (without a roster the members who never posted are not known)")
    sentences.append(
        f"Participation inequality was measured by the Gini coefficient of posts per person, {over}, with "
        f"{g.confidence:.0%} percentile bootstrap intervals ({g.replicates:,} replicates, random seed "
        f"{g.random_state}), the Lorenz curve, and the share of members' posts written by the top 1%, "
        "5% and 10% of posters.")
    t.cite("carron2016", "vanmierlo2014")
    sentences.append(
        f"Super-users were defined by the rule {parameters['super_users']} (Carron-Arthur et al. 2016; "
        f"van Mierlo 2014); this selected {_people(len(s.super_users.member_ids), parameters)} "
        f"super-user(s), with {_people(s.super_users.ties_at_cutoff, parameters)} poster(s) tied at the "
        "cut-off.")
    if s.band_shares is not None:
        t.cite("nielsen2006")
        sentences.append(
            "For the 90-9-1 bands all members were ranked by posts and the top ceil(1%), the next up to "
            "ceil(10%) and the remaining 90% were compared by their share of posts with van Mierlo's "
            "(2014) 74.7%, 24.0% and 1.3% (Nielsen 2006).")
    t.cite("vanuden2008", "joglekar2018", "graham2014")
    sentences.append(
        "The tables set published figures beside these: lurkers were 46% of the members of health "
        "mailing lists (Nonnecke & Preece 2000) and 21% of surveyed members of patient forums (van "
        "Uden-Kraan et al. 2008); the top 1% of users wrote 32% and 49% of posts in two health "
        "communities (Joglekar et al. 2018), and 0.4% of users wrote 47% of posts in a large forum "
        "(Graham & Wright 2014).")
    t.cite("vanmierlo2015", "clauset2009")
    sentences.append(
        "The rank-frequency distribution of posts per poster was fitted by ordinary least squares of "
        "log10 posts on log10 rank (Zipf; van Mierlo et al. 2015) and by a discrete power law fitted by "
        "maximum likelihood with x_min chosen by the minimum Kolmogorov-Smirnov distance and at least "
        f"{s.power_law.min_tail} posters in the tail (Clauset, Shalizi & Newman 2009).")
    return sentences


def _groups(t: _Text, results: dict) -> list[str]:
    comparison = results["participation_by"]
    t.cite("wilson1927", "mann1947", "kruskal1952", "mantel1966")
    compared = ", ".join(f"'{g}'" for g in comparison.compared) or "none"
    return [
        f"Members were grouped by the attribute '{comparison.attribute}' ({len(comparison.groups)} "
        f"groups; compared: {compared}); members without a value formed the group 'unknown', reported "
        "and not tested.",
        "Participation and, where measurable, reciprocity were computed per group: shares of people and "
        "of edges with Wilson score intervals (Wilson 1927) and Pearson's chi-square test of independence "
        "(Yates' correction for 2 x 2 tables); posts per poster compared by the Mann-Whitney U test for "
        "two groups (Mann & Whitney 1947) or the Kruskal-Wallis H test for more (Kruskal & Wallis 1952); "
        "Gini coefficients with percentile bootstrap intervals, and for two groups the bootstrap "
        "interval of their difference; Kaplan-Meier median tenure per group, its interval where the "
        "Greenwood band crosses 0.5, and for two groups the log-rank test (Mantel 1966). Every cell of a group with fewer people than the small-cell "
        "threshold was suppressed with the group's size."]


def _people(n: int, parameters) -> str:
    k = parameters["min_cell"]
    return f"<{k}" if 1 <= n < k else f"{n:,}"


def _engagement(t: _Text, results, parameters) -> list[str]:
    survival = results["survival"]
    ladder = results["ladder"]
    t.cite("kaplan1958", "goh2008")
    days = survival.withdrawal / pd.Timedelta(days=1)
    profile = results["time_profile"]
    delurking = ("De-lurking was measured as the days from joining (or, without a join date, the first "
                 "view, read or delivery event) to the first post." if len(results["delurking"]) else
                 "De-lurking was not measured (no join dates and no view, read or delivery events).")
    return [
        delurking,
        "Each member's participation ladder level in a calendar month (UTC) was the highest rung "
        "reached (none < read/receive < post < reply to others < initiate for others (a thread "
        f"answered by at least {ladder.host_repliers} other people, or a newsletter contribution) < "
        "moderate/facilitate); a member climbed the ladder when, after their first active month, they "
        "reached a rung above every rung of their earlier months (a return to a rung held before is "
        "not a climb).",
        "Posting frequency was measured as posts per active calendar week and its regularity as the "
        "burstiness of the gaps between posts, B = (sigma - mu) / (sigma + mu) (Goh & Barabasi 2008).",
        f"Tenure was the time from a poster's first to last post; a poster had withdrawn when no post "
        f"followed the last for {days:g} days before the end of observation, otherwise the tenure was "
        f"censored, and survival was estimated by Kaplan-Meier with Greenwood {survival.confidence:.0%} "
        "intervals (Kaplan & Meier 1958).",
        f"Hour-of-day and weekday profiles were computed in the {profile.timezone} timezone"
        + (" (times were recorded to the day only, so hours are not meaningful)."
           if profile.day_resolution else "."),
    ]


def _reciprocity(t: _Text, result, tables) -> list[str]:
    p = result.parameters
    t.cite("bracke2008", "nowak2007", "wang2012")
    sentences = []
    if "reciprocity" in tables:
        sentences += [
            "In the reply graph a directed edge runs from the author of a reply to the author of the "
            f"post it answers (self-replies excluded; {result.reply_structure} threads); replies to "
            "deleted or unknown authors were counted, not dropped.",
            "Dyadic reciprocity is the share of distinct directed edges whose reverse edge exists (the "
            "networkx definition).",
            "For each member, replies given g and received c gave the balance (g - c) / (g + c) and the "
            "roles giver, receiver, both and neither; members who both gave and received were balanced "
            f"when 1/{p.get('balanced_ratio')} <= g / c <= {p.get('balanced_ratio')} (Bracke et al. 2008).",
            "Generalised reciprocity (paying forward) is the share of members who, after first receiving "
            "a reply, replied to someone who had not replied to them (Nowak & Roch 2007); serial "
            f"reciprocity compares the share of posts giving support across {p.get('tenure_bins')} equal "
            f"parts of each member's tenure (members with >= {p.get('min_posts')} posts).",
        ]
    if "responsiveness" in tables:
        sentences.append(
            "Responsiveness is the share of opening posts answered by someone else "
            f"(responses: {p.get('responses')}), the quantiles of hours to the first response, and the "
            "share of answered opening posters who posted in the thread again (Wang, Kraut & Levine 2012).")
    return sentences


def _pluralism(p: dict) -> list[str]:
    return [
        "A member used a form of peer support (online, group, one to one, newsletter) in a period when "
        "they posted, wrote a newsletter item, or had an event of that form whose kind is a use "
        f"(active: {', '.join(p['active_kinds'])}; passive: {', '.join(p['passive_kinds'])}); periods "
        f"were {'calendar months' if p['freq'] == 'M' else p['freq']} in {p['tz']}.",
        "The mean number of forms in use by periods since first use (members using none counted as 0) "
        "is compared with the Side by Side evaluation (about 2.5, 2 and 1.5 forms at months 0, 5 and "
        "11); combinations are exclusive sets of forms ever used, pathways the order of first use.",
    ]


def _newsletters(result) -> list[str]:
    p = result.parameters
    return [
        "For each newsletter, cadence is the gaps in days between issues (mean, median, coefficient of "
        "variation); contributors are members who wrote an item or have a contribute event; recipients "
        f"are members with receive events matched to it ({p.get('recipient_match')}); the top "
        f"{p.get('top')} contributors' share of member-written items measures concentration.",
    ]


def _topics(t: _Text, results) -> list[str]:
    model = results["topics"]
    p = model.params
    pre = p.get("preprocessing", {})
    removed = ["English stop words"] + (["forum small talk"] if pre.get("forum_stopwords") else []) + (
        ["common first names and words of member ids"] if pre.get("drop_names") else [])
    sentences = [
        "Posts were tokenised and lower-cased; " + ", ".join(removed) + " were removed, and terms in "
        f"fewer than {pre.get('min_df')} posts or in more than {pre.get('max_df'):.0%} of them were "
        "pruned" + (f" ({p.get('preprocessing_stats', {}).get('kept_vocabulary', 0):,} terms kept)."
                    if p.get("preprocessing_stats") else ".")]
    if model.method == "lda":
        t.cite("blei2003")
        sentences.append(f"Topics were modelled by latent Dirichlet allocation (Blei, Ng & Jordan 2003; "
                         f"batch variational inference, scikit-learn) with k = {model.k}.")
    else:
        t.cite("lee1999")
        sentences.append(f"Topics were modelled by non-negative matrix factorisation (Lee & Seung 1999) of "
                         f"the sublinear tf-idf matrix (scikit-learn) with k = {model.k}.")
    if p.get("training_documents") and p.get("training_documents") < len(model.docs):
        sentences.append(f"The model was fitted to a random sample of {p['training_documents']:,} distinct "
                         "posts and every post's topic shares were then inferred.")
    selection = p.get("k_selection")
    if selection and model.sweep_table is not None:
        sentences.append(
            f"The number of topics was chosen among k = {', '.join(str(k) for k in selection['ks'])} on a "
            f"sample of {selection['sample_documents']:,} posts: {selection['rule']} (seeds "
            f"{' and '.join(str(s) for s in selection['seeds'])}); the table of all k tried is reported.")
    quality, baseline = results.get("topic_coherence"), results.get("topic_baseline")
    if quality is not None and baseline is not None:
        t.cite("bouma2009")
        sentences.append(
            f"Topic quality was measured by NPMI coherence of each topic's top {quality.top_n} terms "
            f"(Bouma 2009): mean {quality.value:.3f}, against {baseline.value:.3f} for the same method "
            "fitted on the posts' words shuffled across posts.")
    if "topic_odds" in results:
        t.cite("carron2016")
        sentences.append("Super-users' and other posters' posts were compared by the share dominated "
                         "by each topic, with odds ratios, Woolf intervals and Holm-adjusted p-values "
                         "(Carron-Arthur et al. 2016).")
    return sentences


def _text_sample(sample: dict) -> str:
    return (f"Topics and support types were measured on a random sample of {sample['posts']:,} of the "
            f"{sample['of_posts']:,} posts in the window: each post was kept with probability "
            f"{sample['fraction']:.4g}, decided by a keyed hash of its id (seed {sample['seed']}), so the "
            "sample does not depend on the order of the data. Every other measure uses every post.")


def _newsletter_text(t: _Text, tables: dict) -> list[str]:
    sentences = []
    if "newsletter_topic_odds" in tables:
        t.cite("carron2016")
        sentences.append("Forum posts and newsletter items were modelled together in one topic space, and "
                         "items were compared with posts topic by topic by odds ratios with Woolf intervals "
                         "and Holm-adjusted p-values, as super-users with other posters.")
    if "newsletter_topic_echo" in tables:
        sentences.append("Whether newsletter topics follow the forum's was measured per topic by the Pearson "
                         "correlation of the newsletter's monthly mean topic share with the forum's some "
                         "months earlier, for lags of 0 to 6 months, the best lag Bonferroni-adjusted for "
                         "the lags tried.")
    if "newsletter_support_by_form" in tables:
        sentences.append("Support types of newsletter items were labelled by the same model as the posts and "
                         "compared by form (items against posts) and by writer (members against staff or "
                         "unsigned items), with percentile bootstrap intervals over documents.")
    return sentences


def _support(t: _Text, labels, parameters) -> list[str]:
    t.cite("cutrona1992", "forman2008", "hanley2006")
    model = labels.model
    params = getattr(model, "get_params", dict)()
    sentences = [f"Each post was labelled with the most probable of the support types "
                 f"{', '.join(labels.classes)} (after Cutrona & Suhr's 1992 social support behaviour "
                 f"codes) by {labels.described}."]
    if labels.pretrained == "forum":
        t.cite("jaidka2020")
        sentences.append(
            "This model was trained on the human-labelled sentences of the CL-Aff 'Get it #OffMyChest' "
            "shared task (Reddit comments; Jaidka et al. 2020, CC BY 4.0); its model card (peerscope "
            "documentation, models/forum) gives its training data, held-out accuracy, calibration and "
            "known failure modes.")
    if params.get("unit") == "post":
        sentences.append(
            "Quoted earlier text was removed, each sentence was scored separately and a post's score "
            f"combined its sentences' calibrated scores ({params.get('aggregation', '').replace('_', '-')}), "
            "so that one supportive sentence among others makes a supportive post.")
    sentences.append(
        "Shares are of posts, overall, by super-users against other posters and by opening posts "
        f"against replies, with 95% intervals from a Poisson bootstrap over authors "
        f"({parameters['gini_replicates']:,} replicates; Hanley & MacGibbon 2006), so that one "
        "prolific author's posts count as one cluster. No human-coded sample of this corpus validated "
        "the labels, so the shares are raw classify-and-count estimates, not adjusted for the model's "
        "error rates (Forman 2008).")
    return sentences


def _software(figures: dict) -> str:
    import scipy

    versions = (f"peerscope {__version__} (Python {platform.python_version()}, pandas "
                f"{pd.__version__}, NumPy {np.__version__}, SciPy {scipy.__version__}")
    if figures:
        import matplotlib

        versions += f", matplotlib {matplotlib.__version__}"
    return f"All numbers and figures were computed with {versions})."
