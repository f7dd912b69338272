#!/usr/bin/env bash
# The reference story, entered through the commands staff use.
#
# On 28 July 2022 in Samarinda, Kalimantan Timur (Kaltim) and Jawa Timur (Jatim) agreed to
# cooperate on regional development. The Governor of Kaltim signed the Kesepakatan Bersama
# (KSB). On 11 August 2022 Kaltim's Biro handed Jatim eight documents in Surabaya: the KSB,
# waiting for the Governor of Jatim, and seven Perjanjian Kerja Sama (PKS) between the two
# provinces' agencies, each waiting for one or both agency heads.
#
# The agencies, titles and register numbers below are illustrative.
#
# Usage: KS_DB=/tmp/demo.sqlite examples/reference-story.sh   (uses `ks` from PATH, or $KS)
set -euo pipefail
ks() { ${KS:-command ks} "$@"; }

agencies=(
  "kominfo|Dinas Komunikasi dan Informatika"
  "dishub|Dinas Perhubungan"
  "disdik|Dinas Pendidikan"
  "dinkes|Dinas Kesehatan"
  "dispar|Dinas Kebudayaan dan Pariwisata"
  "disperindag|Dinas Perindustrian dan Perdagangan"
  "dpmptsp|Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"
)
for item in "${agencies[@]}"; do
  alias=${item%%|*} name=${item#*|}
  ks party add "$name Provinsi Kalimantan Timur" --region kaltim --alias "$alias-kaltim" \
    --signatory-title "Kepala Dinas"
  ks party add "$name Provinsi Jawa Timur" --region jatim --alias "$alias-jatim" \
    --signatory-title "Kepala Dinas"
done

ksb=$(ks add-agreement --kind ksb --title "Kerja Sama Pembangunan Daerah" \
  --party kaltim --party jatim --date "28 Juli 2022" --place Samarinda \
  --number kaltim=120/4521/B.PEM-KS/2022)
ks sign "$ksb" --party kaltim --date 28/07/2022 --place Samarinda --signatory "Isran Noor"

titles=(
  "Pengembangan Layanan E-Government dan Pertukaran Data"
  "Konektivitas Transportasi Laut dan Udara"
  "Peningkatan Mutu Pendidikan Vokasi"
  "Pelayanan Kesehatan Rujukan"
  "Promosi Pariwisata dan Kebudayaan Bersama"
  "Perdagangan Antar Daerah"
  "Promosi Investasi dan Perizinan Terpadu"
)
pks=()
for i in "${!agencies[@]}"; do
  alias=${agencies[$i]%%|*}
  key=$(ks add-agreement --kind pks --parent "$ksb" --title "${titles[$i]}" \
    --party "$alias-kaltim" --party "$alias-jatim" --date 2022-07-28 --place Samarinda)
  pks+=("$key")
done

# Four PKS left Samarinda signed by the Kaltim agency head; three wait for both heads.
for i in 0 1 2 3; do
  alias=${agencies[$i]%%|*}
  ks sign "${pks[$i]}" --party "$alias-kaltim" --date "28 Juli 2022" --place Samarinda \
    --number "555/$((i + 101))/$(tr '[:lower:]' '[:upper:]' <<<"$alias")-KT/2022"
done

# 11 August 2022, Surabaya: the originals reach Jatim's Biro for the Governor and the agencies.
ks handover "$ksb" "${pks[@]}" --to jatim --date "11 Agustus 2022" --place Surabaya \
  --note "Diterima Biro Pemerintahan dan Otonomi Daerah Setda Prov. Jatim"

echo
echo "== Waiting in Jawa Timur, as of 10 September 2022 =="
ks pending --province jatim --as-of 2022-09-10
echo
echo "== Waiting in Kalimantan Timur, as of 10 September 2022 =="
ks pending --province kaltim --as-of 2022-09-10
