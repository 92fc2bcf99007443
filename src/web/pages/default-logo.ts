// Berth's own logo and favicon, kept in the hub's code so dist/ and the hub image need no asset files: Jupyter's
// orange arcs around three containers on their berth, and "Berth". /hub/logo serves the SVG unless hub.logo_file
// names another image; /hub/favicon.ico the icon (16 and 32 px PNGs in an ICO, drawn from the same shapes).

export const DEFAULT_LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="172" height="64" viewBox="0 0 172 64" role="img" aria-label="Berth">
<title>Berth</title>
<path d="M6 23A27 17 0 0 1 58 23A27 9 0 0 0 6 23Z" fill="#F37726"/>
<path d="M6 41A27 17 0 0 0 58 41A27 9 0 0 1 6 41Z" fill="#F37726"/>
<rect x="13" y="26" width="11.5" height="12" rx="1.5" fill="#4E4E4E"/>
<rect x="26.25" y="26" width="11.5" height="12" rx="1.5" fill="#989798"/>
<rect x="39.5" y="26" width="11.5" height="12" rx="1.5" fill="#4E4E4E"/>
<text x="70" y="43" font-family="Helvetica, Arial, sans-serif" font-size="30" font-weight="bold" fill="#4E4E4E">Berth</text>
</svg>
`;

export const DEFAULT_FAVICON_ICO = Buffer.from(
  'AAABAAIAEBAAAAEAIADOAQAAJgAAACAgAAABACAAwwIAAPQBAACJUE5HDQoaCgAAAA1JSERSAAAAEAAAABAIBgAAAB/z/2EAAAGD' +
  'SURBVHicrFI7SwNBEJ7ZXEDMXXwiokGUYAjYCDYptTiwSmftD7DxAQaFNBYSgiBobWFtl8pGo6TQSsHORxKUBCGFYnJRCeyOc0cM' +
  'nkkRiQPLzM7OfPP4VkCHIqBD0Vo5CQCrmxNDqETAuQtV8G3nS+g8uQV/Xqz1SZMQlwhoDgH9blB6Q8I0CLlvJLKnTQBWLLSqgKY4' +
  '8UqAzJFURZ9u5ey36kdfEEGOKPKwhmkGuzGS93sNAFoJ9DuX3cILtCHltdAgohTGTrbkGiEajc6zivB5N03zSNO0Rac7yzrMZDIL' +
  'bHbzuUylUsffOa4lElEMEWdtu/ZZ0726N163bbbi9ZgzVg2A/6WRqx+wOrdtSTLNy1KO38PbB1D1DnKuHMe5PN4LXQox8fQKbUh5' +
  'Y3TAII+y41008i8Jc6Fr5vuBJBV1rDyCrtCq9IyhFwJEEEQSM000NkD4I3GfWzxKpFVlbv9CAMb15N2Ja4TmFkNhJDXsSlby2Z/M' +
  '3/6ObQnwF+mYxi8AAAD//y5xOO8AAAAGSURBVAMAS3mZ8lJnRe4AAAAASUVORK5CYIKJUE5HDQoaCgAAAA1JSERSAAAAIAAAACAI' +
  'BgAAAHN6evQAAAJ4SURBVHic7FY7bxNBEJ7ZO0JsnwyhASmKQfEDSAMNIdRIFIi4IEhQEAlR0YGQcCxEkYLCMZHgNyAXCMlNcAOi' +
  'QzQgUVAQ4UcSTGoCtmMnR26HuQhL5/OZXGIdTuFPGu/uzOzO573dnRHQYwjoMfoEek5A3Y1zbSZ2BiSNSQEjCBgioJCp536Z+2Wz' +
  'ReP3F21++bPbNXEnh3oiMrEFeJU9pzjAKLgAkykKgiwKzAZS+Y+wFwIbyXBEJ5HhoOehCxDB+wFh3BpMlYrghgDNglhvRO/zxMc8' +
  'HGBZZa8Sj5eZzDckWZEIFSQWBde25xg0RAhB/tdBQhHkHTjOC5u7FWYZZtER8WHAl3+GsyCt8drOQLURe8KTxwHproabLzFVXoNu' +
  'diAZGqrJg9c56nS1Hj0GUEhApx1YT8bOEckj2lzxNXiAWjJySUjx05/Of2jqWq6hf0MveBXchJYqvvHpet6q2/EWeI2O70A8Hr/B' +
  'TYZFaeqIqCKlnJi8MjnPw8tWf7a9XXi1cEdV1U984IIWk8Fzbudyuee7IsA4ZQ1uwlyY5Sh3x+zOrI8oijJiC25CEUJ0fD/6uWD/' +
  'EuBD9ZUbaVNX+Xuusm3RwX/RtJk+NpP8u5Yjen4NW3aAZkYPgcegeycOQycCDVJP1hKxi+ARzKe4PqiErbq2T1BJRNN8ly8w14wG' +
  'xgucW/oFXaCZjAhxWhC909KF5D8JOKZjgCViaUvHKH6AIHRMx8ipmLZT8jBH2UTCRwF//qk9Hf+XguSA0G/6UisrTnYXJVlsfAtp' +
  'irvXXJdkRCVeOasSZq2pd08ErKg9iJ7l5nRLUco/fGa+e1aUeo1+LugT+AMAAP//ZrxjgQAAAAZJREFUAwAufAeoPCifSgAAAABJ' +
  'RU5ErkJggg==',
  'base64',
);
