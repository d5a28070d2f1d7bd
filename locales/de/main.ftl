portal-name = Bürgerportal
skip-link = Zum Inhalt springen
official-website = Offizielle Website – Bundesrepublik Deutschland
nav-label = Hauptnavigation
nav-services = Leistungen
nav-responsibility = Wer ist zuständig?
language-switch = English
footer-label = Rechtliches
all-authorities = Alle Behörden im Bürgerportal

home-title = Startseite
home-heading = Verwaltung online erledigen
home-intro = Hier beantragen Sie Leistungen Ihrer Stadt, Ihres Kreises und Ihres Landes online – rund um die Uhr und ohne Papier.
home-topics = Leistungen nach Themen
home-authorities = Beteiligte Behörden
tenant-home-intro = Diese Leistungen können Sie bei uns online beantragen.
tenant-home-services = Alle Leistungen

search-label = Wonach suchen Sie?
search-hint = Zum Beispiel: Hund anmelden, Parkausweis, Wohngeld
search-button = Suchen

place-label = Postleitzahl oder Ort
place-hint = Zum Beispiel: 71999 oder Musterstadt
place-button = Zuständigkeit finden

catalogue-title = Leistungen finden
catalogue-count = { $count ->
    [0] Keine Leistung gefunden
    [one] 1 Leistung gefunden
   *[other] { $count } Leistungen gefunden
}
catalogue-page = Ergebnisse, Seite { $page }
catalogue-empty = Versuchen Sie andere Suchwörter oder entfernen Sie einen Filter.
filter-topic = Thema
filter-all-topics = Alle Themen
filter-authority = Behörde
filter-all-authorities = Alle Behörden
filter-place = Nur für diesen Ort (Postleitzahl oder Ort)
pagination-label = Seiten
pagination-previous = Vorherige Seite
pagination-next = Nächste Seite

service-authority = Zuständig
service-fee = Kosten
service-login = Anmeldung
service-duration = Bearbeitungszeit
service-start = Jetzt starten
service-evidence = Was Sie brauchen
service-no-evidence = Sie brauchen keine Nachweise.
service-login-heading = Wie Sie sich anmelden
service-description = Worum es geht
service-key = Leistungsschlüssel
fee-none = kostenlos

trust-basis-name = Servicekonto mit E-Mail-Adresse
trust-basis-text = Sie melden sich mit Ihrem Servicekonto an. Dafür reichen E-Mail-Adresse und Passwort.
trust-substanziell-name = Servicekonto mit geprüfter Identität
trust-substanziell-text = Sie melden sich mit einem Servicekonto an, dessen Identität geprüft ist, zum Beispiel mit BundID und ELSTER-Zertifikat oder Online-Ausweis.
trust-hoch-name = Online-Ausweis
trust-hoch-text = Sie melden sich mit der Online-Ausweisfunktion Ihres Personalausweises, Ihrer eID-Karte oder Ihres elektronischen Aufenthaltstitels an.

application-soon-title = Der Online-Antrag wird gerade eingerichtet
application-soon-text = Bis er bereitsteht, stellen Sie den Antrag bitte per E-Mail, Telefon oder vor Ort. Wir helfen Ihnen gern.
back-to-service = Zurück zur Beschreibung der Leistung
contact-heading = Kontakt
contact-phone = Telefon
contact-email = E-Mail
contact-hours = Öffnungszeiten

imprint-title = Impressum
imprint-publisher = Herausgeber
imprint-represented-by = Vertreten durch
imprint-supervisory = Aufsichtsbehörde
imprint-vat-id = Umsatzsteuer-Identifikationsnummer
privacy-title = Datenschutz
privacy-controller = Verantwortlich
privacy-dpo = Datenschutzbeauftragte oder Datenschutzbeauftragter
privacy-processing-heading = Welche Daten wir verarbeiten
privacy-processing-text = Wenn Sie diese Seiten aufrufen, verarbeiten wir die technisch nötigen Daten (IP-Adresse, Zeitpunkt, aufgerufene Seite), um Ihnen die Seiten auszuliefern und sie vor Angriffen zu schützen. Rechtsgrundlage ist Artikel 6 Absatz 1 Buchstabe e DSGVO. Wir löschen diese Daten nach 7 Tagen.
privacy-cookies-text = Wir setzen nur ein Cookie, das sich Ihre Sprache merkt. Wir verwenden keine Werbe- oder Analyse-Cookies.
privacy-rights-heading = Ihre Rechte
privacy-rights-text = Sie haben das Recht auf Auskunft, Berichtigung, Löschung und Einschränkung der Verarbeitung Ihrer Daten sowie das Recht, der Verarbeitung zu widersprechen.
privacy-complaint = Sie können sich beschweren bei
accessibility-title = Barrierefreiheit
accessibility-full = Diese Website ist vollständig mit der Barrierefreie-Informationstechnik-Verordnung (BITV 2.0) vereinbar.
accessibility-partial = Diese Website ist teilweise mit der Barrierefreie-Informationstechnik-Verordnung (BITV 2.0) vereinbar. Die folgenden Inhalte sind nicht barrierefrei.
accessibility-barriers = Nicht barrierefreie Inhalte
accessibility-feedback-heading = Barrieren melden
accessibility-feedback-text = Ist Ihnen eine Barriere aufgefallen? Schreiben Sie uns:
accessibility-enforcement-heading = Schlichtungsverfahren
accessibility-enforcement-text = Wenn wir Ihnen nicht zufriedenstellend antworten, können Sie ein Schlichtungsverfahren beantragen bei:
accessibility-reviewed = Zuletzt geprüft am
legal-choose-intro = Jede Behörde in diesem Portal ist für ihre eigenen Seiten verantwortlich. Wählen Sie die Behörde:

responsibility-title = Wer ist zuständig?
responsibility-intro = Geben Sie Ihre Postleitzahl oder Ihren Wohnort ein. Wir zeigen Ihnen, welche Behörden für Sie zuständig sind.
responsibility-results = Zuständige Behörden
responsibility-none = Für diese Angabe haben wir keine Behörde gefunden. Prüfen Sie die Postleitzahl oder schreiben Sie den Ortsnamen aus.

error-home-link = Zur Startseite
error-request-id = Vorgangskennung für Rückfragen
error-400-title = Die Anfrage ist ungültig
error-400-text = Die Adresse oder die Eingaben sind nicht vollständig oder nicht gültig. Gehen Sie zurück und versuchen Sie es noch einmal.
error-403-title = Zugriff nicht erlaubt
error-403-text = Sie dürfen diese Seite nicht aufrufen. Wenn Sie angemeldet waren, melden Sie sich bitte neu an.
error-404-title = Seite nicht gefunden
error-404-text = Diese Seite gibt es nicht. Prüfen Sie die Adresse oder suchen Sie die Leistung über die Startseite.
error-500-title = Es ist ein Fehler aufgetreten
error-500-text = Das liegt nicht an Ihnen. Versuchen Sie es in einigen Minuten noch einmal. Wenn der Fehler bleibt, nennen Sie uns bitte die Vorgangskennung unten.
error-503-title = Der Dienst ist gerade nicht erreichbar
error-503-text = Versuchen Sie es in einigen Minuten noch einmal.

topic-arbeit-ruhestand = Arbeit und Ruhestand
topic-bauen-wohnen = Bauen und Wohnen
topic-bildung = Bildung
topic-ein-auswanderung = Ein- und Auswanderung
topic-engagement-hobby = Engagement und Hobby
topic-familie-kind = Familie und Kind
topic-forschung-foerderung = Forschung und Förderung
topic-gesundheit = Gesundheit
topic-mobilitaet-reisen = Mobilität und Reisen
topic-querschnitt = Querschnittsleistungen
topic-recht-ordnung = Recht und Ordnung
topic-steuern-zoll = Steuern und Zoll
topic-umwelt = Umwelt
topic-unternehmen = Unternehmensführung
