package frequency

import (
	"encoding/json"
	"log"
	"sync"

	"github.com/gatehouse-idp/gatehouse/idp/policy/internal/zxcvbn/data"
)

// List holds a frequency list
type List struct {
	Name string
	List []string
}

// Lists returns all the frequency lists in a map. (Gatehouse: was a package
// variable filled by init; the lists are now decoded on the first call, once,
// safely for concurrent callers.)
func Lists() map[string]List {
	return lists()
}

var lists = sync.OnceValue(func() map[string]List {
	all := make(map[string]List)
	maleFilePath := getAsset("data/MaleNames.json")
	femaleFilePath := getAsset("data/FemaleNames.json")
	surnameFilePath := getAsset("data/Surnames.json")
	englishFilePath := getAsset("data/English.json")
	passwordsFilePath := getAsset("data/Passwords.json")

	all["MaleNames"] = getStringListFromAsset(maleFilePath, "MaleNames")
	all["FemaleNames"] = getStringListFromAsset(femaleFilePath, "FemaleNames")
	all["Surname"] = getStringListFromAsset(surnameFilePath, "Surname")
	all["English"] = getStringListFromAsset(englishFilePath, "English")
	all["Passwords"] = getStringListFromAsset(passwordsFilePath, "Passwords")

	return all
})

func getAsset(name string) []byte {
	data, err := data.Asset(name)
	if err != nil {
		panic("Error getting asset " + name)
	}

	return data
}
func getStringListFromAsset(data []byte, name string) List {

	var tempList List
	err := json.Unmarshal(data, &tempList)
	if err != nil {
		log.Fatal(err)
	}
	tempList.Name = name
	return tempList
}
