<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<title>Bezirksfonds - Berlin.de</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<div id="cookie-banner" class="cookie-notice" role="dialog" aria-label="Cookie-Hinweis">
  <p>Wir verwenden Cookies und ähnliche Technologien, um unser Angebot zu verbessern. Sie können selbst entscheiden, welche Kategorien Sie zulassen möchten.</p>
  <button type="button">Akzeptieren</button> <button type="button">Ablehnen</button> <a href="/datenschutz">Datenschutzerklärung</a>
</div>
<a class="skip-link" href="#inhalt">Zum Inhalt springen</a>
<header class="site-header">
  <a class="site-logo" href="/">Berlin.de – Das offizielle Hauptstadtportal</a>
  <nav class="site-nav" aria-label="Hauptmenü">
    <ul><li><a href="/politik-und-verwaltung">Politik und Verwaltung</a></li><li><a href="/wirtschaft">Wirtschaft</a></li><li><a href="/kultur">Kultur</a></li><li><a href="/tourismus">Tourismus</a></li></ul>
  </nav>
  <form class="site-search" action="/suche"><input type="search" name="q" placeholder="Suche"><button>Suchen</button></form>
</header>
<div class="breadcrumb"><a href="/">Startseite</a> / Senatsverwaltung für Wirtschaft, Energie und Betriebe / Landesstelle für Entwicklungszusammenarbeit / Förderung</div>
<div id="inhalt" class="content">
  <div class="article">
  <h1>Bezirksfonds: Förderung entwicklungspolitischer Projekte der Berliner Bezirke</h1>
  <p>Mit dem Bezirksfonds stärkt die Landesstelle für Entwicklungszusammenarbeit (LEZ) die kommunale Entwicklungspolitik in den Bezirken. Unterstützt werden Aktivitäten, die die Agenda 2030 und die Nachhaltigkeitsziele im Bezirk sichtbar machen und entwicklungspolitisch engagierte Akteure vernetzen.</p>
  <h2>Was wird gefördert?</h2>
  <p>Gefördert werden öffentlichkeitswirksame Aktionen und Veranstaltungen, Vernetzungsformate für bezirkliche Initiativen und strukturbildende Projekte. Ausdrücklich erwünscht ist, Bezirke zu gewinnen, die bisher noch nicht aktiv sind. Die Projekte brauchen einen Berlin-Bezug mit Zielgruppen in Berlin und der Einbindung bezirklicher Initiativen.</p>
  <h2>Wer kann Anträge stellen?</h2>
  <p>Antragsberechtigt sind ausschließlich die Berliner Bezirke. Den Antrag stellt eine Stadträtin oder ein Stadtrat oder die Bezirksbürgermeisterin bzw. der Bezirksbürgermeister. Mehrere Bezirke können gemeinsam ein Verbundprojekt beantragen. Jedes Bezirksamt darf höchstens zwei Anträge pro Jahr stellen.</p>
  <h2>Förderhöhe</h2>
  <p>Der Fonds finanziert bis zu 90 Prozent der Kosten, höchstens 15.000 Euro, bei Verbundprojekten 20.000 Euro. Der Eigenanteil von zehn Prozent kann auch aus anderen Fördermitteln als Drittmittel stammen; eine Doppelförderung ist ausgeschlossen. 2023 standen insgesamt 100.000 Euro zur Verfügung.</p>
  <h2>Ablauf</h2>
  <p>Der Call erscheint jeweils zu Jahresbeginn. Bewerbungen sind ab der Veröffentlichung möglich, solange Mittel verfügbar sind. Die Projekte laufen bis zum Ende des Kalenderjahres; Sachbericht und Belegliste folgen drei Monate nach Projektende.</p>
  </div>

</div>
<aside class="sidebar">
  <h2>Kontakt</h2>
  <p>Landesstelle für Entwicklungszusammenarbeit (LEZ), Senatsverwaltung für Wirtschaft, Energie und Betriebe, Berlin.</p>
  <h2>Das könnte Sie auch interessieren</h2>
  <ul><li><a href="/aktuelles">Aktuelles</a></li><li><a href="/termine">Termine</a></li><li><a href="/newsletter">Newsletter abonnieren</a></li></ul>
</aside>
<footer class="site-footer">
  <p>Senatsverwaltung für Wirtschaft, Energie und Betriebe · Berlin</p>
  <ul><li><a href="/impressum">Impressum</a></li><li><a href="/datenschutz">Datenschutz</a></li><li><a href="/barrierefreiheit">Erklärung zur Barrierefreiheit</a></li><li><a href="/leichte-sprache">Leichte Sprache</a></li></ul>
</footer>
</body>
</html>
