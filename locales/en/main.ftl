portal-name = Citizen portal
skip-link = Skip to content
official-website = Official website of the Federal Republic of Germany
nav-label = Main navigation
nav-services = Services
nav-responsibility = Who is responsible?
language-switch = Deutsch
footer-label = Legal
all-authorities = All authorities in the citizen portal

home-title = Home
home-heading = Deal with public authorities online
home-intro = Apply online for services of your town, your district and your state – at any time and without paper.
home-topics = Services by topic
home-authorities = Participating authorities
tenant-home-intro = You can apply online for these services.
tenant-home-services = All services

search-label = What are you looking for?
search-hint = For example: register a dog, parking permit, housing benefit
search-button = Search

place-label = Postcode or place
place-hint = For example: 71999 or Musterstadt
place-button = Find who is responsible

catalogue-title = Find a service
catalogue-count = { $count ->
    [0] No service found
    [one] 1 service found
   *[other] { $count } services found
}
catalogue-page = Results, page { $page }
catalogue-empty = Try other words or remove a filter.
filter-topic = Topic
filter-all-topics = All topics
filter-authority = Authority
filter-all-authorities = All authorities
filter-place = Only for this place (postcode or place)
pagination-label = Pages
pagination-previous = Previous page
pagination-next = Next page

service-authority = Responsible
service-fee = Cost
service-login = Login
service-duration = Processing time
service-start = Start now
service-evidence = What you need
service-no-evidence = You do not need any documents.
service-login-heading = How you log in
service-description = What it is about
service-key = Service key
fee-none = free of charge

trust-basis-name = Service account with e-mail address
trust-basis-text = You log in with your service account. An e-mail address and a password are enough.
trust-substanziell-name = Service account with verified identity
trust-substanziell-text = You log in with a service account whose identity has been verified, for example BundID with an ELSTER certificate or the online ID card.
trust-hoch-name = Online ID card
trust-hoch-text = You log in with the online ID function of your identity card, your eID card or your electronic residence permit.

application-soon-title = The online application is being set up
application-soon-text = Until it is ready, please apply by e-mail, by phone or in person. We are happy to help.
back-to-service = Back to the description of the service
contact-heading = Contact
contact-phone = Phone
contact-email = E-mail
contact-hours = Opening hours

imprint-title = Legal notice
imprint-publisher = Publisher
imprint-represented-by = Represented by
imprint-supervisory = Supervisory authority
imprint-vat-id = VAT identification number
privacy-title = Privacy
privacy-controller = Controller
privacy-dpo = Data protection officer
privacy-processing-heading = Which data we process
privacy-processing-text = When you visit these pages we process the technically necessary data (IP address, time, page visited) to deliver the pages to you and to protect them against attacks. The legal basis is Article 6(1)(e) GDPR. We delete these data after 7 days.
privacy-cookies-text = We only set one cookie, which remembers your language. We use no advertising or analytics cookies.
privacy-rights-heading = Your rights
privacy-rights-text = You have the right of access, rectification, erasure and restriction of processing of your data, and the right to object to the processing.
privacy-complaint = You can lodge a complaint with
accessibility-title = Accessibility
accessibility-full = This website is fully compliant with the German accessibility regulation (BITV 2.0).
accessibility-partial = This website is partially compliant with the German accessibility regulation (BITV 2.0). The content listed below is not accessible.
accessibility-barriers = Content that is not accessible
accessibility-feedback-heading = Report a barrier
accessibility-feedback-text = Have you found a barrier? Write to us:
accessibility-enforcement-heading = Enforcement procedure
accessibility-enforcement-text = If our answer does not satisfy you, you can apply for conciliation at:
accessibility-reviewed = Last reviewed on
legal-choose-intro = Each authority in this portal is responsible for its own pages. Choose the authority:

responsibility-title = Who is responsible?
responsibility-intro = Enter your postcode or the place where you live. We show you which authorities are responsible for you.
responsibility-results = Responsible authorities
responsibility-none = We found no authority for this entry. Check the postcode or write the full name of the place.

error-home-link = Go to the home page
error-request-id = Reference for enquiries
error-400-title = The request is not valid
error-400-text = The address or the entries are incomplete or not valid. Go back and try again.
error-403-title = Access not allowed
error-403-text = You may not open this page. If you were logged in, please log in again.
error-404-title = Page not found
error-404-text = This page does not exist. Check the address or find the service from the home page.
error-500-title = Something went wrong
error-500-text = This is not your fault. Please try again in a few minutes. If the error persists, please tell us the reference below.
error-503-title = The service is not available at the moment
error-503-text = Please try again in a few minutes.

topic-arbeit-ruhestand = Work and retirement
topic-bauen-wohnen = Building and housing
topic-bildung = Education
topic-ein-auswanderung = Immigration and emigration
topic-engagement-hobby = Volunteering and hobbies
topic-forschung-foerderung = Research and funding
topic-familie-kind = Family and children
topic-gesundheit = Health
topic-mobilitaet-reisen = Mobility and travel
topic-querschnitt = General services
topic-recht-ordnung = Law and order
topic-steuern-zoll = Taxes and customs
topic-umwelt = Environment
topic-unternehmen = Running a business
