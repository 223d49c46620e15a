-- normalize_person_name on the spellings vendors send. Returns the names that normalise wrong.

with

examples as (
    select
        'Nikola Jokić' as vendor_name,
        'nikola jokic' as expected_key
    union all
    select
        'Michael Porter Jr.' as vendor_name,
        'michael porter' as expected_key
    union all
    select
        '  Gary   Payton II ' as vendor_name,
        'gary payton' as expected_key
    union all
    select
        'Karl-Anthony Towns' as vendor_name,
        'karl anthony towns' as expected_key
    union all
    select
        'P.J. Washington' as vendor_name,
        'pj washington' as expected_key
    union all
    select
        -- chr(39) is the apostrophe: '' inside a literal is not BigQuery SQL
        concat('De', chr(39), 'Aaron Fox') as vendor_name,
        'deaaron fox' as expected_key
    union all
    select
        'J.R. Smith' as vendor_name,
        'jr smith' as expected_key
    union all
    select
        'Luka Dončić' as vendor_name,
        'luka doncic' as expected_key
    union all
    select
        'Tim Hardaway Sr' as vendor_name,
        'tim hardaway' as expected_key
)

select
    vendor_name,
    expected_key,
    {{ normalize_person_name('vendor_name') }} as actual_key
from examples
where
    {{ normalize_person_name('vendor_name') }} is distinct from expected_key
